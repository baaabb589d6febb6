// Command codegen is the one entry point for this repository's generated
// code: deep-copy (deepcopy-gen) and OpenAPI definitions (openapi-gen) for
// every API package, through pkg/codegen, which runs the generators as go.mod
// tool dependencies so that their versions are the ones go.mod pins.
//
//	go run ./hack/codegen           # regenerate
//	go run ./hack/codegen --verify  # CI: fail if generated code is stale
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aggkit/aggkit/pkg/codegen"
)

// apiFolders are the folders of the repository that hold versioned API
// packages (apis/<version>-style layout); each gets its own openapi package.
var apiFolders = []string{
	"examples/wardle/apis",
	"pkg/extension/internal/testapi",
}

func main() {
	verify := flag.Bool("verify", false, "check that generated files are up to date instead of leaving new ones")
	flag.Parse()
	if err := run(context.Background(), *verify); err != nil {
		fmt.Fprintln(os.Stderr, "codegen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, verify bool) error {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("find module root: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	for _, f := range apiFolders {
		err := codegen.Generate(ctx, codegen.Options{
			Dir:        root,
			APIsDir:    filepath.Join(root, f),
			HeaderFile: filepath.Join(root, "hack", "boilerplate.go.txt"),
			Verify:     verify,
			Out:        os.Stdout,
		})
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}
