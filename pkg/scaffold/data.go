package scaffold

import (
	"slices"

	"github.com/aggkit/aggkit/pkg/extension"
	"github.com/aggkit/aggkit/pkg/project"
)

// Files aggkit owns or renders in a project.
const (
	generatedResourcesFile = "zz_generated.resources.go"
	serverTestFile         = "server_test.go"
)

// projectData is what the project-wide templates see.
type projectData struct {
	*project.Project
	// Kinds in creation order.
	Kinds []kindData
	// Versions in name order, for imports.
	Versions []string
}

// kindData is one kind with all its versions.
type kindData struct {
	Kind, Plural, Receiver string
	Namespaced, Status     bool
	// Versions in creation order; the first is the hub.
	Versions []string
}

// versionData is what the templates of one kind in one version see.
type versionData struct {
	kindData
	Group, Module, Version, HubVersion, ModelPackage string
}

func newProjectData(p *project.Project) projectData {
	d := projectData{Project: p}
	for _, k := range p.Kinds() {
		d.Kinds = append(d.Kinds, newKindData(p, k))
	}
	d.Versions = p.Versions()
	slices.Sort(d.Versions)
	return d
}

func newKindData(p *project.Project, kind string) kindData {
	rs := p.VersionsOf(kind)
	k := kindData{Kind: kind, Plural: extension.ResourceName(kind), Receiver: receiverOf(kind), Namespaced: rs[0].Namespaced, Status: rs[0].Status}
	for _, r := range rs {
		k.Versions = append(k.Versions, r.Version)
	}
	return k
}

func newVersionData(p *project.Project, kind, version string) versionData {
	k := newKindData(p, kind)
	return versionData{
		kindData: k, Group: p.Group, Module: p.Module, Version: version,
		HubVersion: k.Versions[0], ModelPackage: modelPackage(p.Group, version),
	}
}
