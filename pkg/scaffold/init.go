package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aggkit/aggkit/pkg/project"
)

// InitOptions say what project InitRepo makes.
type InitOptions struct {
	// Dir is the project folder, made if missing; default the current one.
	Dir string
	// Domain is the suffix of the project's API group, e.g. example.com.
	Domain string
	// Module is the Go module path; default <domain>/<name>.
	Module string
	// Name names the binary, Service and namespace; default Dir's base name.
	Name string
	// AggkitSource is the aggkit source folder go.mod replaces aggkit with;
	// default DefaultAggkitSource.
	AggkitSource string
	// Out receives what was written and what to do next; nil discards it.
	Out io.Writer
}

// keptIfPresent are files a fresh repository may already have (a hosted
// repository's first commit); InitRepo leaves them as they are.
var keptIfPresent = map[string]bool{"README.md": true, ".gitignore": true}

// InitRepo makes a new project in o.Dir: a Go module with a server on
// pkg/extension that builds offline, its Makefile, README, .gitignore and a
// test. It refuses a folder that already has a go.mod or aggkit.yaml, and
// writes nothing unless it can write everything.
func InitRepo(ctx context.Context, o InitOptions) error {
	out, dir, err := outputAndDir(o.Out, o.Dir)
	if err != nil {
		return err
	}
	for _, f := range []string{"go.mod", project.FileName} {
		if exists(filepath.Join(dir, f)) {
			return fmt.Errorf("%s already has %s: aggkit init repo makes a new project, in an empty folder or one without a Go module", dir, f)
		}
	}
	p := &project.Project{Domain: o.Domain, Module: o.Module, Name: o.Name}
	if p.Name == "" {
		p.Name = filepath.Base(dir)
	}
	if p.Module == "" {
		p.Module = p.Domain + "/" + p.Name
	}
	for _, err := range []error{validateDomain(p.Domain), validateName(p.Name), validateModule(p.Module)} {
		if err != nil {
			return err
		}
	}
	source := o.AggkitSource
	if source == "" {
		if source, err = DefaultAggkitSource(); err != nil {
			return err
		}
	} else if source, err = checkAggkitSource(source); err != nil {
		return err
	}

	files, err := initFiles(p, source)
	if err != nil {
		return err
	}
	for _, f := range files {
		if exists(filepath.Join(dir, f.name)) && !keptIfPresent[f.name] {
			return fmt.Errorf("%s already has %s; aggkit init repo does not overwrite files", dir, f.name)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if exists(path) {
			fmt.Fprintf(out, "kept    %s\n", f.name)
			continue
		}
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote   %s\n", f.name)
	}
	fmt.Fprintf(out, "\nProject %s (module %s, aggkit from %s) is ready. Next, add a resource:\n\n", p.Name, p.Module, source)
	fmt.Fprintf(out, "  cd %s\n  go tool aggkit create group version resource --group %s --version v1alpha1 --kind Widget\n  go test ./...\n", dir, p.Name)
	return ctx.Err()
}

// file is one file of a project, relative to its folder.
type file struct {
	name string
	data []byte
}

// fileTemplate names a project file and the template it is rendered from.
type fileTemplate struct{ name, template string }

// initFiles renders every file of a new project.
func initFiles(p *project.Project, source string) ([]file, error) {
	gomod, err := goMod(p.Module, source)
	if err != nil {
		return nil, err
	}
	gosum, err := os.ReadFile(filepath.Join(source, "go.sum"))
	if err != nil {
		return nil, fmt.Errorf("read aggkit's go.sum: %w", err)
	}
	yaml, err := p.Marshal()
	if err != nil {
		return nil, err
	}
	files := []file{{"go.mod", gomod}, {"go.sum", gosum}, {project.FileName, yaml}}
	data := newProjectData(p)
	for _, t := range []fileTemplate{
		{"main.go", "main.go"},
		{"server.go", "server.go"},
		{generatedResourcesFile, "resources.go"},
		{serverTestFile, "server_test_init.go"},
		{"Makefile", "Makefile"},
		{"README.md", "README.md"},
		{".gitignore", "gitignore"},
	} {
		b, err := render(t.template, data)
		if err != nil {
			return nil, err
		}
		files = append(files, file{t.name, b})
	}
	return files, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
