package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// FileName is the project file in a project's root folder.
const FileName = "aggkit.yaml"

// Project is the content of aggkit.yaml.
type Project struct {
	// Domain is the suffix of the API group, e.g. "example.com".
	Domain string `json:"domain,omitempty" yaml:"domain,omitempty"`
	// Module is the project's Go module path.
	Module string `json:"module,omitempty" yaml:"module,omitempty"`
	// Name names the server binary (bin/<name>) and, for local and in-cluster
	// runs, its Service and namespace.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Group is the full API group the project serves, e.g.
	// "insurance.example.com"; empty until the first resource is created.
	Group string `json:"group,omitempty" yaml:"group,omitempty"`
	// Resources are the served kinds, one entry per kind and version, in the
	// order they were created. The first version of a kind is its hub.
	Resources []Resource `json:"resources,omitempty" yaml:"resources,omitempty"`
}

// Resource is one kind served in one version.
type Resource struct {
	// Version is the API version, e.g. "v1beta1".
	Version string `json:"version" yaml:"version"`
	// Kind is the CamelCase kind, e.g. "Policy".
	Kind string `json:"kind" yaml:"kind"`
	// Namespaced is false for cluster-wide kinds.
	Namespaced bool `json:"namespaced" yaml:"namespaced"`
	// Status says whether the kind has a status and serves /status.
	Status bool `json:"status,omitempty" yaml:"status,omitempty"`
}

// Load reads dir/aggkit.yaml. A folder without one is a project too: Load
// then returns a Project whose Name is the folder's base name.
func Load(dir string) (*Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", dir, err)
	}
	path := filepath.Join(abs, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Project{Name: filepath.Base(abs)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load project: %w", err)
	}
	p := &Project{}
	if err := yaml.UnmarshalStrict(data, p); err != nil {
		return nil, fmt.Errorf("load project %s: %w", path, err)
	}
	if p.Name == "" {
		p.Name = filepath.Base(abs)
	}
	return p, nil
}

// Exists reports whether dir has a project file.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, FileName))
	return err == nil
}

// Save writes the project to dir/aggkit.yaml.
func (p *Project) Save(dir string) error {
	data, err := p.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
		return fmt.Errorf("save project: %w", err)
	}
	return nil
}

// Marshal renders the project file's content, with a comment heading it.
func (p *Project) Marshal() ([]byte, error) {
	data, err := yaml.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("save project: %w", err)
	}
	head := "# The aggkit project file. `aggkit create group version resource` adds to it\n" +
		"# and re-renders zz_generated.resources.go from it.\n"
	return append([]byte(head), data...), nil
}
