package codegen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	// The header by its given name: an empty one is a new temporary file each run.
	inputs, err := inputsFingerprint(pkgs, o.HeaderFile, filepath.Join(root, "go.mod"))
	if err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	st, haveStamp := stampFor(apisDir)
	if !o.Verify && haveStamp {
		if outs, err := fingerprint(outputs); err == nil && st.matches(inputs, outs) {
			fmt.Fprintf(o.Out, "==> generated code is up to date (API sources unchanged since the last run)\n")
			return nil
		}
	}
	// The generators write to side files, which Go ignores, so that a build
	// running meanwhile never sees a half-written generated file.
	defer removeSideFiles(outputs)

	run := generators{root: root, out: o.Out}
	if err := run.tool(ctx, "deepcopy-gen", append([]string{"--output-file", sideFile(deepCopyFile), "--go-header-file", header}, args...)...); err != nil {
		return err
	}
	if err := os.MkdirAll(openAPIDir, 0o755); err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	openAPIArgs := []string{
		"--output-file", sideFile(openAPIFile), "--go-header-file", header,
		"--output-dir", openAPIDir, "--output-pkg", module + "/" + filepath.ToSlash(relOpenAPI),
		"--report-filename", os.DevNull,
		// Model names (+k8s:openapi-model-package) are what k8s.io/apiserver
		// matches definitions to kinds by, for server-side apply.
		"--output-model-name-file", sideFile(modelNameFile),
	}
	// The base packages live in the module cache: model name files are
	// generated for the project's packages only (as root, nothing else
	// stops openapi-gen from writing into the cache).
	for _, pkg := range openAPIBasePackages {
		openAPIArgs = append(openAPIArgs, "--readonly-pkg", pkg)
	}
	openAPIArgs = append(append(openAPIArgs, openAPIBasePackages...), args...)
	if err := run.tool(ctx, "openapi-gen", openAPIArgs...); err != nil {
		return err
	}

	changed, err := compareSideFiles(outputs)
	if err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	if o.Verify {
		if len(changed) > 0 {
			return fmt.Errorf("codegen: generated files are out of date, regenerate them:\n  %s", strings.Join(changed, "\n  "))
		}
		fmt.Fprintln(o.Out, "==> generated files are up to date")
		return nil
	}
	// Unchanged files keep their modification time, so builds stay cached.
	for _, f := range changed {
		if err := os.Rename(sideFile(f), f); err != nil {
			return fmt.Errorf("codegen: %w", err)
		}
	}
	if haveStamp {
		// Without a stamp the next run generates again: slower, not wrong.
		if outs, err := fingerprint(outputs); err == nil {
			_ = st.write(inputs, outs)
		}
	}
	return nil
}

// sideFile is where a generator writes what becomes file.
func sideFile(file string) string { return file + ".next" }

// compareSideFiles lists the outputs whose side file differs from them. An
// output the generators did not write is left alone, as before.
func compareSideFiles(outputs []string) ([]string, error) {
	var changed []string
	for _, f := range outputs {
		next, err := os.ReadFile(sideFile(f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		current, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if err != nil || !bytes.Equal(current, next) {
			changed = append(changed, f)
		}
	}
	return changed, nil
}

func removeSideFiles(outputs []string) {
	for _, f := range outputs {
		_ = os.Remove(sideFile(f))
	}
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
