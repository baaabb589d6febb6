package scaffold

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/mod/modfile"
)

// aggkitModule is the module path of aggkit itself.
const aggkitModule = "github.com/aggkit/aggkit"

// DefaultAggkitSource returns the source folder the running aggkit was built
// from: the one new projects replace github.com/aggkit/aggkit with, since
// aggkit is not on the module proxy. It fails for binaries built with
// -trimpath or moved away from their source; pass the folder then.
func DefaultAggkitSource() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", fmt.Errorf("this aggkit binary does not know the source it was built from (built with -trimpath?): give the aggkit source folder with --aggkit-source")
	}
	dir, err := checkAggkitSource(filepath.Join(filepath.Dir(file), "..", ".."))
	if err != nil {
		return "", fmt.Errorf("%w; give the aggkit source folder with --aggkit-source", err)
	}
	return dir, nil
}

// checkAggkitSource makes dir absolute and checks that it holds the aggkit
// module.
func checkAggkitSource(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("aggkit source %s: %w", abs, err)
	}
	if m := modfile.ModulePath(data); m != aggkitModule {
		return "", fmt.Errorf("aggkit source %s: go.mod is module %q, want %s", abs, m, aggkitModule)
	}
	return abs, nil
}

// toolPackages are the go.mod tools of a project: the generators and aggkit.
var toolPackages = []string{
	"k8s.io/code-generator/cmd/deepcopy-gen",
	"k8s.io/kube-openapi/cmd/openapi-gen",
	aggkitModule + "/cmd/aggkit",
}

// goMod renders a project's go.mod: aggkit replaced by its source folder,
// and every module aggkit requires at the version aggkit uses, so that with
// aggkit's go.sum every package resolves from the local module cache.
func goMod(modulePath, source string) ([]byte, error) {
	path := filepath.Join(source, "go.mod")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	src, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil, fmt.Errorf("read aggkit's go.mod: %w", err)
	}
	f := &modfile.File{}
	steps := []error{f.AddModuleStmt(modulePath)}
	if src.Go != nil {
		steps = append(steps, f.AddGoStmt(src.Go.Version))
	}
	if src.Toolchain != nil {
		steps = append(steps, f.AddToolchainStmt(src.Toolchain.Name))
	}
	f.AddNewRequire(aggkitModule, "v0.0.0", false)
	for _, r := range src.Require {
		f.AddNewRequire(r.Mod.Path, r.Mod.Version, r.Indirect)
	}
	steps = append(steps, f.AddReplace(aggkitModule, "", source, ""))
	for _, r := range src.Replace {
		newPath := r.New.Path
		if r.New.Version == "" && !filepath.IsAbs(newPath) {
			newPath = filepath.Join(source, newPath) // a folder relative to aggkit's go.mod
		}
		steps = append(steps, f.AddReplace(r.Old.Path, r.Old.Version, newPath, r.New.Version))
	}
	for _, t := range toolPackages {
		steps = append(steps, f.AddTool(t))
	}
	for _, err := range steps {
		if err != nil {
			return nil, fmt.Errorf("write go.mod: %w", err)
		}
	}
	f.SetRequireSeparateIndirect(f.Require)
	f.Cleanup()
	out, err := f.Format()
	if err != nil {
		return nil, fmt.Errorf("write go.mod: %w", err)
	}
	return out, nil
}
