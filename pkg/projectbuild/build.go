package projectbuild

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aggkit/aggkit/pkg/codegen"
	"github.com/aggkit/aggkit/pkg/project"
)

// Build runs the generators in the project at dir, then compiles its main
// package into dir/bin/<project name>, and returns the binary's absolute
// path. Progress lines go to progress; the compiler's output comes with the
// error when it fails.
func Build(ctx context.Context, dir string, progress io.Writer) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	p, err := project.Load(dir)
	if err != nil {
		return "", err
	}
	if err := Generate(ctx, dir, progress); err != nil {
		return "", err
	}

	start := time.Now()
	bin := filepath.Join(dir, "bin", p.Name)
	fmt.Fprintf(progress, "==> compiling %s\n", relTo(dir, bin))
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	stopTicking := Tick(progress, "compiling", start)
	err = cmd.Run()
	stopTicking()
	if err != nil {
		return "", fmt.Errorf("go build in %s: %w\n%s", dir, err, strings.TrimSpace(out.String()))
	}
	fmt.Fprintf(progress, "==> built %s (%s)\n", relTo(dir, bin), since(start))
	return bin, nil
}

// Generate runs the code generators in the project at dir (deepcopy and
// OpenAPI for every apis/<version>), reporting the step on progress.
func Generate(ctx context.Context, dir string, progress io.Writer) error {
	start := time.Now()
	fmt.Fprintf(progress, "==> generating code in %s\n", dir)
	stopTicking := Tick(progress, "generating", start)
	err := codegen.Generate(ctx, codegen.Options{Dir: dir, Out: progress, HeaderFile: headerFile(dir)})
	stopTicking()
	if err != nil {
		return fmt.Errorf("generate code: %w", err)
	}
	fmt.Fprintf(progress, "==> generated code (%s)\n", since(start))
	return nil
}

// HeaderFile is where a project keeps the license header of its generated
// files, relative to the project folder (kubebuilder's place for it).
const HeaderFile = "hack/boilerplate.go.txt"

// headerFile is the header file of the project, or of the module holding
// it (examples/wardle uses the aggkit repository's), or "" (no header).
func headerFile(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		path := filepath.Join(d, HeaderFile)
		if _, err := os.Stat(path); err == nil {
			return path
		}
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil || filepath.Dir(d) == d {
			return ""
		}
	}
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}

// Tick prints a "still <doing>" line every tickEvery until stopped, so that
// a first build of the Kubernetes libraries (minutes) does not look hung.
func Tick(progress io.Writer, doing string, start time.Time) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(tickEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(progress, "    still %s (%s)\n", doing, since(start))
			}
		}
	}()
	return func() { close(done); <-stopped }
}

const tickEvery = 10 * time.Second
