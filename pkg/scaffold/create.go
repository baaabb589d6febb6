package scaffold

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aggkit/aggkit/pkg/codegen"
	"github.com/aggkit/aggkit/pkg/project"
)

// ResourceOptions say which kind in which version CreateResource adds.
type ResourceOptions struct {
	// Dir is the project folder; default the current one.
	Dir string
	// Group is the short group, e.g. "insurance" for insurance.<domain>;
	// the full group name is accepted too.
	Group string
	// Version is the API version, e.g. v1beta1.
	Version string
	// Kind is the CamelCase kind, e.g. Policy.
	Kind string
	// Namespaced and Status are the kind's scope and whether it has a
	// status; nil means namespaced without status for a new kind, and what
	// the existing versions have for a new version of a kind.
	Namespaced, Status *bool
	// SkipGenerate leaves out the code generators (for tests of the files).
	SkipGenerate bool
	// Out receives what was written; nil discards it.
	Out io.Writer
}

// CreateResource adds o.Kind in o.Version to the project in o.Dir: the type
// (and for a second version, its conversion through the first, the hub),
// the project file, the server's registration, the test, and the generated
// code. Creating a kind and version that exist says so and changes nothing
// (no error: the project already is what was asked for).
func CreateResource(ctx context.Context, o ResourceOptions) error {
	out, dir, err := outputAndDir(o.Out, o.Dir)
	if err != nil {
		return err
	}
	if !project.Exists(dir) {
		return fmt.Errorf("%s has no %s: run `aggkit init repo --domain <domain>` there first", dir, project.FileName)
	}
	p, err := project.Load(dir)
	if err != nil {
		return err
	}
	group, err := fullGroup(p, o.Group)
	if err != nil {
		return err
	}
	for _, err := range []error{validateVersion(o.Version), validateKind(o.Kind)} {
		if err != nil {
			return err
		}
	}
	if p.Has(o.Kind, o.Version) {
		fmt.Fprintf(out, "%s %s/%s already exists in %s; nothing changed\n", o.Kind, group, o.Version, project.FileName)
		return nil
	}
	r, err := newResource(p, o)
	if err != nil {
		return err
	}
	before := *p
	p.Group = group
	p.Resources = append(slices.Clone(p.Resources), r)

	files, err := resourceFiles(dir, &before, p, r)
	if err != nil {
		return err
	}
	yaml, err := p.Marshal()
	if err != nil {
		return err
	}
	files = append(files, file{project.FileName, yaml})
	if !slices.ContainsFunc(files, func(f file) bool { return f.name == serverTestFile }) {
		fmt.Fprintf(out, "kept    %s: you changed it, so aggkit no longer rewrites it; test %s there yourself\n", serverTestFile, o.Kind)
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote   %s\n", f.name)
	}
	if o.SkipGenerate {
		return nil
	}
	if err := codegen.Generate(ctx, codegen.Options{Dir: dir, Out: out}); err != nil {
		return fmt.Errorf("%s %s is in place but generating its code failed (fix it, then `make generate`): %w", o.Kind, o.Version, err)
	}
	fmt.Fprintf(out, "\n%s %s/%s is served. Test it with `go test ./...`; run it with `go tool aggkit run local`.\n", o.Kind, group, o.Version)
	return nil
}

// fullGroup checks the group against the project's: one project serves one
// group.
func fullGroup(p *project.Project, short string) (string, error) {
	if p.Domain == "" || p.Module == "" {
		return "", fmt.Errorf("%s lacks its domain or module; was it made by aggkit init repo?", project.FileName)
	}
	short = strings.TrimSuffix(short, "."+p.Domain)
	if err := validateGroup(short); err != nil {
		return "", err
	}
	group := short + "." + p.Domain
	if p.Group != "" && p.Group != group {
		return "", fmt.Errorf("this project serves the group %s, not %s: a project is one server, and a pkg/extension server serves one API group; make another project for %s with `aggkit init repo`", p.Group, group, group)
	}
	return group, nil
}

// newResource settles scope and status: a new version of a kind takes the
// existing versions', and must not be asked for others.
func newResource(p *project.Project, o ResourceOptions) (project.Resource, error) {
	r := project.Resource{Version: o.Version, Kind: o.Kind, Namespaced: true}
	existing := p.VersionsOf(o.Kind)
	if len(existing) == 0 {
		if o.Namespaced != nil {
			r.Namespaced = *o.Namespaced
		}
		if o.Status != nil {
			r.Status = *o.Status
		}
		return r, nil
	}
	hub := existing[0]
	if o.Namespaced != nil && *o.Namespaced != hub.Namespaced {
		return r, fmt.Errorf("%s is served with --namespaced=%s in %s; every version of a kind has the same scope", o.Kind, strconv.FormatBool(hub.Namespaced), hub.Version)
	}
	if o.Status != nil && *o.Status != hub.Status {
		return r, fmt.Errorf("%s is served with --status=%s in %s; aggkit makes every version of a kind with the same fields", o.Kind, strconv.FormatBool(hub.Status), hub.Version)
	}
	r.Namespaced, r.Status = hub.Namespaced, hub.Status
	return r, nil
}

// resourceFiles renders what adding r changes: new files for the type,
// which must not exist yet, the server's registration, and the server test
// unless its user has changed it.
func resourceFiles(dir string, before, after *project.Project, r project.Resource) ([]file, error) {
	v := newVersionData(after, r.Kind, r.Version)
	apiDir := filepath.Join("apis", r.Version)
	base := strings.ToLower(r.Kind)
	var owned []fileTemplate
	if !exists(filepath.Join(dir, apiDir, "doc.go")) {
		owned = append(owned, fileTemplate{filepath.Join(apiDir, "doc.go"), "doc.go"})
	}
	owned = append(owned, fileTemplate{filepath.Join(apiDir, base+"_types.go"), "types.go"})
	if v.HubVersion == r.Version {
		owned = append(owned, fileTemplate{filepath.Join(apiDir, base+"_hub.go"), "hub.go"})
	} else {
		owned = append(owned, fileTemplate{filepath.Join(apiDir, base+"_conversion.go"), "conversion.go"})
	}
	var files []file
	for _, f := range owned {
		if exists(filepath.Join(dir, f.name)) {
			return nil, fmt.Errorf("%s exists but %s does not list %s %s: move it away, or add the resource to %s by hand", f.name, project.FileName, r.Kind, r.Version, project.FileName)
		}
		b, err := render(f.template, v)
		if err != nil {
			return nil, err
		}
		files = append(files, file{f.name, b})
	}

	resources, err := render("resources.go", newProjectData(after))
	if err != nil {
		return nil, err
	}
	files = append(files, file{generatedResourcesFile, resources})

	test, err := serverTest(dir, before, after)
	if err != nil || test == nil {
		return files, err
	}
	return append(files, *test), nil
}

// serverTest re-renders server_test.go if it is what aggkit rendered for
// the project before this change, or missing; an edited one is the user's.
func serverTest(dir string, before, after *project.Project) (*file, error) {
	current, err := os.ReadFile(filepath.Join(dir, serverTestFile))
	if err == nil {
		previous, err := renderServerTest(before)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(current, previous) {
			return nil, nil
		}
	}
	next, err := renderServerTest(after)
	if err != nil {
		return nil, err
	}
	return &file{serverTestFile, next}, nil
}

func renderServerTest(p *project.Project) ([]byte, error) {
	if len(p.Resources) == 0 {
		return render("server_test_init.go", newProjectData(p))
	}
	return render("server_test.go", newProjectData(p))
}
