package project

import "github.com/aggkit/aggkit/pkg/kubeversion"

// Versions returns the served API versions, most preferred first (GA before
// beta before alpha, as Kubernetes orders them).
func (p *Project) Versions() []string {
	seen := map[string]bool{}
	var vs []string
	for _, r := range p.Resources {
		if !seen[r.Version] {
			seen[r.Version] = true
			vs = append(vs, r.Version)
		}
	}
	kubeversion.Sort(vs)
	return vs
}

// Kinds returns the kind names in the order they were first created.
func (p *Project) Kinds() []string {
	seen := map[string]bool{}
	var ks []string
	for _, r := range p.Resources {
		if !seen[r.Kind] {
			seen[r.Kind] = true
			ks = append(ks, r.Kind)
		}
	}
	return ks
}

// VersionsOf returns the versions of one kind in creation order; the first
// is the kind's hub.
func (p *Project) VersionsOf(kind string) []Resource {
	var rs []Resource
	for _, r := range p.Resources {
		if r.Kind == kind {
			rs = append(rs, r)
		}
	}
	return rs
}

// Has reports whether the kind is served in the version.
func (p *Project) Has(kind, version string) bool {
	for _, r := range p.Resources {
		if r.Kind == kind && r.Version == version {
			return true
		}
	}
	return false
}
