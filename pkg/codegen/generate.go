package codegen

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

	"golang.org/x/mod/modfile"
)

// Options say where to generate.
type Options struct {
	// Dir is the project folder. The generators run in the Go module that
	// contains it.
	Dir string
	// APIsDir holds the version packages and gets the openapi package;
	// default Dir/apis.
	APIsDir string
	// HeaderFile is a license header put atop every generated file; default
	// none.
	HeaderFile string
	// Verify checks that the generated files are up to date, leaving them as
	// they were, and fails naming the stale ones.
	Verify bool
	// Out receives progress lines and the generators' own output; nil
	// discards them.
	Out io.Writer
}

// openAPIBasePackages hold types (ObjectMeta, ListMeta, Time, Quantity, ...)
// that API types refer to; their definitions go into every openapi package.
var openAPIBasePackages = []string{
	"k8s.io/apimachinery/pkg/apis/meta/v1",
	"k8s.io/apimachinery/pkg/runtime",
	"k8s.io/apimachinery/pkg/version",
	"k8s.io/apimachinery/pkg/api/resource",
}

// Generated file names.
const (
	deepCopyFile  = "zz_generated.deepcopy.go"
	modelNameFile = "zz_generated.model_name.go"
	openAPIFile   = "zz_generated.openapi.go"
)

// Generate runs deepcopy-gen and openapi-gen for the API packages of the
// project in o.Dir. A project without API packages has nothing to generate.
func Generate(ctx context.Context, o Options) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	apisDir := o.APIsDir
	if apisDir == "" {
		apisDir = filepath.Join(dir, "apis")
	}
	if apisDir, err = filepath.Abs(apisDir); err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	pkgs, err := FindAPIPackages(apisDir)
	if err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	if len(pkgs) == 0 {
		fmt.Fprintf(o.Out, "==> no API packages in %s: nothing to generate\n", apisDir)
		return nil
	}
	root, module, err := moduleOf(ctx, dir)
	if err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	header, cleanup, err := headerFile(o.HeaderFile)
	if err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	defer cleanup()

	openAPIDir := filepath.Join(apisDir, "openapi")
	outputs := []string{filepath.Join(openAPIDir, openAPIFile)}
	var args []string // package arguments, relative to the module root
	for _, p := range pkgs {
		outputs = append(outputs, filepath.Join(p.Dir, deepCopyFile), filepath.Join(p.Dir, modelNameFile))
		rel, err := relPackage(root, p.Dir)
		if err != nil {
			return fmt.Errorf("codegen: %w", err)
		}
		args = append(args, rel)
	}
	relOpenAPI, err := filepath.Rel(root, openAPIDir)
	if err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	before := snapshot(outputs)

	run := generators{root: root, out: o.Out}
	if err := run.tool(ctx, "deepcopy-gen", append([]string{"--output-file", deepCopyFile, "--go-header-file", header}, args...)...); err != nil {
		return err
	}
	if err := os.MkdirAll(openAPIDir, 0o755); err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	openAPIArgs := []string{
		"--output-file", openAPIFile, "--go-header-file", header,
		"--output-dir", openAPIDir, "--output-pkg", module + "/" + filepath.ToSlash(relOpenAPI),
		"--report-filename", os.DevNull,
		// Model names (+k8s:openapi-model-package) are what k8s.io/apiserver
		// matches definitions to kinds by, for server-side apply.
		"--output-model-name-file", modelNameFile,
	}
	openAPIArgs = append(append(openAPIArgs, openAPIBasePackages...), args...)
	if err := run.tool(ctx, "openapi-gen", openAPIArgs...); err != nil {
		return err
	}

	if !o.Verify {
		return nil
	}
	after := snapshot(outputs)
	restore(outputs, before)
	var stale []string
	for _, f := range outputs {
		if !bytes.Equal(before[f], after[f]) {
			stale = append(stale, f)
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("codegen: generated files are out of date, regenerate them:\n  %s", strings.Join(stale, "\n  "))
	}
	fmt.Fprintln(o.Out, "==> generated files are up to date")
	return nil
}

// generators runs go tool dependencies of one module.
type generators struct {
	root string
	out  io.Writer
}

// tool runs a generator pinned by a go.mod tool line, from the module root.
func (g generators) tool(ctx context.Context, name string, args ...string) error {
	start := time.Now()
	var output bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", name}, args...)...)
	cmd.Dir = g.root
	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()
	if err != nil {
		return fmt.Errorf("codegen: go tool %s in %s: %w\n%s", name, g.root, err, strings.TrimSpace(output.String()))
	}
	fmt.Fprintf(g.out, "==> %s (%.1fs)\n", name, time.Since(start).Seconds())
	_, _ = g.out.Write(output.Bytes())
	return nil
}

// moduleOf returns the root folder and path of the Go module holding dir.
func moduleOf(ctx context.Context, dir string) (root, module string, err error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("find the Go module of %s: %w", dir, err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", "", fmt.Errorf("%s is not inside a Go module (no go.mod)", dir)
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", "", err
	}
	module = modfile.ModulePath(data)
	if module == "" {
		return "", "", fmt.Errorf("%s has no module line", gomod)
	}
	return filepath.Dir(gomod), module, nil
}

// relPackage makes a package argument ("./apis/v1") relative to the module
// root, which is where the generators run.
func relPackage(root, dir string) (string, error) {
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("package %s is outside the module in %s", dir, root)
	}
	return "./" + filepath.ToSlash(rel), nil
}

// headerFile returns the header to give the generators: the named file, or
// an empty temporary one.
func headerFile(name string) (path string, cleanup func(), err error) {
	if name != "" {
		abs, err := filepath.Abs(name)
		return abs, func() {}, err
	}
	f, err := os.CreateTemp("", "aggkit-header-*.txt")
	if err != nil {
		return "", nil, err
	}
	_ = f.Close()
	return f.Name(), func() { _ = os.Remove(f.Name()) }, nil
}

// snapshot reads the files; a missing file reads as nil.
func snapshot(files []string) map[string][]byte {
	m := map[string][]byte{}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
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
