// Command codegen is the one entry point for this repository's generated
// code: deep-copy (deepcopy-gen) and OpenAPI definitions (openapi-gen) for
// every API package, run through go.mod tool dependencies so that the
// generator versions are the ones go.mod pins.
//
//	go run ./hack/codegen           # regenerate
//	go run ./hack/codegen --verify  # CI: fail if generated code is stale
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// apiGroup is one set of API packages with its OpenAPI output package.
type apiGroup struct {
	packages   []string // directories of the versioned API packages
	openAPIDir string   // directory of the generated OpenAPI package
}

// groups lists every API of the repository; add new ones here.
var groups = []apiGroup{
	{
		packages:   []string{"examples/wardle/apis/v1alpha1", "examples/wardle/apis/v1beta1"},
		openAPIDir: "examples/wardle/apis/openapi",
	},
	{
		packages:   []string{"pkg/extension/internal/testapi/v1"},
		openAPIDir: "pkg/extension/internal/testapi/openapi",
	},
}

// openAPIBasePackages hold types (ObjectMeta, ListMeta, Time, ...) that API
// types refer to; their definitions go into every OpenAPI package.
var openAPIBasePackages = []string{
	"k8s.io/apimachinery/pkg/apis/meta/v1",
	"k8s.io/apimachinery/pkg/runtime",
	"k8s.io/apimachinery/pkg/version",
	"k8s.io/apimachinery/pkg/api/resource",
}

func main() {
	verify := flag.Bool("verify", false, "check that generated files are up to date instead of leaving new ones")
	flag.Parse()
	if err := run(*verify); err != nil {
		fmt.Fprintln(os.Stderr, "codegen:", err)
		os.Exit(1)
	}
}

func run(verify bool) error {
	root, module, err := moduleRoot()
	if err != nil {
		return err
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	header := filepath.Join("hack", "codegen", "boilerplate.go.txt")
	var outputs []string
	for _, g := range groups {
		for _, p := range g.packages {
			outputs = append(outputs, filepath.Join(p, "zz_generated.deepcopy.go"), filepath.Join(p, "zz_generated.model_name.go"))
		}
		outputs = append(outputs, filepath.Join(g.openAPIDir, "zz_generated.openapi.go"))
	}
	before := snapshot(outputs)

	for _, g := range groups {
		var pkgs []string
		for _, p := range g.packages {
			pkgs = append(pkgs, "./"+p)
		}
		if err := tool("deepcopy-gen", append([]string{"--output-file", "zz_generated.deepcopy.go", "--go-header-file", header}, pkgs...)...); err != nil {
			return err
		}
		if err := os.MkdirAll(g.openAPIDir, 0o755); err != nil {
			return err
		}
		args := []string{
			"--output-file", "zz_generated.openapi.go", "--go-header-file", header,
			"--output-dir", g.openAPIDir, "--output-pkg", module + "/" + g.openAPIDir,
			"--report-filename", os.DevNull,
			// Model names (+k8s:openapi-model-package) are what k8s.io/apiserver
			// matches definitions to kinds by, for server-side apply.
			"--output-model-name-file", "zz_generated.model_name.go",
		}
		args = append(append(args, openAPIBasePackages...), pkgs...)
		if err := tool("openapi-gen", args...); err != nil {
			return err
		}
	}

	if !verify {
		return nil
	}
	after := snapshot(outputs)
	var stale []string
	for _, f := range outputs {
		if !bytes.Equal(before[f], after[f]) {
			stale = append(stale, f)
		}
	}
	restore(outputs, before)
	if len(stale) > 0 {
		return fmt.Errorf("generated files are out of date, run `go run ./hack/codegen`:\n  %s", strings.Join(stale, "\n  "))
	}
	fmt.Println("codegen: generated files are up to date")
	return nil
}

// tool runs a generator pinned by a go.mod tool line.
func tool(name string, args ...string) error {
	cmd := exec.Command("go", append([]string{"tool", name}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go tool %s: %w", name, err)
	}
	return nil
}

func moduleRoot() (dir, module string, err error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Path}}").Output()
	if err != nil {
		return "", "", fmt.Errorf("find module root: %w", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		return "", "", fmt.Errorf("find module root: unexpected %q", out)
	}
	return fields[0], fields[1], nil
}

// snapshot reads the files; a missing file reads as nil.
func snapshot(files []string) map[string][]byte {
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			m[f] = b
		}
	}
	return m
}

// restore puts files back as snapshot found them, removing new ones.
func restore(files []string, s map[string][]byte) {
	for _, f := range files {
		if b, ok := s[f]; ok {
			_ = os.WriteFile(f, b, 0o644)
		} else {
			_ = os.Remove(f)
		}
	}
}
