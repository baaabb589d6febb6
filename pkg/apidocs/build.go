package apidocs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/version"
)

// GroupDocs is what a group's page is made from.
type GroupDocs struct {
	// Group is the API group's name.
	Group string
	// PreferredVersion is the group's preferred version from discovery;
	// "" means the highest by Kubernetes version priority.
	PreferredVersion string
	// OpenAPI maps each served version to its OpenAPI v3 document (JSON),
	// as served at /openapi/v3/apis/<group>/<version>.
	OpenAPI map[string][]byte
}

// BuildPage reads a group's documents into a Page.
func BuildPage(g GroupDocs) (*Page, error) {
	if g.Group == "" {
		return nil, fmt.Errorf("build API reference: no group name")
	}
	if len(g.OpenAPI) == 0 {
		return nil, fmt.Errorf("build API reference of %s: no OpenAPI documents", g.Group)
	}
	versions := make([]string, 0, len(g.OpenAPI))
	for v := range g.OpenAPI {
		versions = append(versions, v)
	}
	preferred := g.PreferredVersion
	if _, ok := g.OpenAPI[preferred]; !ok {
		preferred = ""
	}
	slices.SortFunc(versions, func(a, b string) int {
		switch {
		case a == preferred:
			return -1
		case b == preferred:
			return 1
		}
		return version.CompareKubeAwareVersionStrings(b, a)
	})
	if preferred == "" {
		preferred = versions[0]
	}

	page := &Page{Group: g.Group}
	for _, v := range versions {
		doc, err := parseOpenAPI(g.OpenAPI[v])
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", g.Group, v, err)
		}
		page.Versions = append(page.Versions, VersionDoc{
			Version:   v,
			Preferred: v == preferred,
			Anchor:    slug(v),
			Kinds:     buildKinds(doc, g.Group, v),
		})
	}
	return page, nil
}

// resourcePath is a REST path split into its parts.
type resourcePath struct {
	resource    string
	subresource string
	namespaced  bool
	watch       bool
}

// parseResourcePath splits /apis/<group>/<version>/[watch/][namespaces/{namespace}/]<resource>[/{name}[/<sub>]];
// ok is false for paths of other groups or versions and for the version's
// own discovery path.
func parseResourcePath(path, group, version string) (resourcePath, bool) {
	rest, found := strings.CutPrefix(path, "/apis/"+group+"/"+version+"/")
	if !found || rest == "" {
		return resourcePath{}, false
	}
	segs := strings.Split(rest, "/")
	var p resourcePath
	if segs[0] == "watch" {
		p.watch = true
		segs = segs[1:]
	}
	if len(segs) > 2 && segs[0] == "namespaces" && segs[1] == "{namespace}" {
		p.namespaced = true
		segs = segs[2:]
	}
	if len(segs) == 0 || segs[0] == "" {
		return resourcePath{}, false
	}
	p.resource = segs[0]
	if len(segs) > 2 {
		p.subresource = strings.Join(segs[2:], "/")
	}
	return p, true
}

// verbOf maps an x-kubernetes-action to the Kubernetes verb.
var verbOf = map[string]string{
	"get": "get", "list": "list", "watch": "watch", "watchlist": "watch",
	"post": "create", "put": "update", "patch": "patch",
	"delete": "delete", "deletecollection": "deletecollection",
}

var verbOrder = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

// buildKinds finds the resources of one version in its paths and documents
// each one's kind.
func buildKinds(doc *openAPIDoc, group, version string) []KindDoc {
	byResource := map[string]*KindDoc{}
	verbs := map[string]map[string]bool{}
	subresources := map[string]map[string]bool{}
	for path, item := range doc.Paths {
		p, ok := parseResourcePath(path, group, version)
		if !ok {
			continue
		}
		k := byResource[p.resource]
		if k == nil {
			k = &KindDoc{Resource: p.resource}
			byResource[p.resource] = k
			verbs[p.resource] = map[string]bool{}
			subresources[p.resource] = map[string]bool{}
		}
		k.Namespaced = k.Namespaced || p.namespaced
		if p.subresource != "" {
			subresources[p.resource][p.subresource] = true
		}
		for _, m := range item.operations() {
			if p.subresource == "" {
				if verb := verbOf[m.op.Action]; verb != "" {
					verbs[p.resource][verb] = true
				}
				if gvk := m.op.GVK; gvk != nil && gvk.Group == group && gvk.Version == version {
					k.Kind = gvk.Kind
				}
			}
			// The watch paths are deprecated in favour of ?watch=true on
			// the list path; the verb says watch is there.
			if !p.watch {
				k.Endpoints = append(k.Endpoints, Endpoint{Method: m.method, Path: path, Verb: cmp.Or(verbOf[m.op.Action], m.op.Action), Description: m.op.Description})
			}
		}
	}

	var kinds []KindDoc
	for resource, k := range byResource {
		if k.Kind == "" {
			k.Kind = resource
		}
		for _, verb := range verbOrder {
			if verbs[resource][verb] {
				k.Verbs = append(k.Verbs, verb)
			}
		}
		for sub := range subresources[resource] {
			k.Subresources = append(k.Subresources, sub)
		}
		slices.Sort(k.Subresources)
		slices.SortFunc(k.Endpoints, func(a, b Endpoint) int {
			return cmp.Or(strings.Compare(a.Path, b.Path), methodRank(a.Method)-methodRank(b.Method))
		})
		k.Anchor = slug(version + "-" + k.Kind)
		if name := kindSchema(doc, group, version, k.Kind); name != "" {
			s := doc.lookup(name)
			k.Description = s.Description
			k.Fields = newFieldWalker(doc, k.Anchor).walkObject(s, "", 0)
		}
		if kindSchema(doc, group, version, k.Kind+"List") != "" {
			k.ListKind = k.Kind + "List"
		}
		kinds = append(kinds, *k)
	}
	slices.SortFunc(kinds, func(a, b KindDoc) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Resource, b.Resource))
	})
	return kinds
}

func methodRank(m string) int {
	return slices.Index([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m)
}

// kindSchema returns the component carrying the kind's
// x-kubernetes-group-version-kind, "" when there is none.
func kindSchema(doc *openAPIDoc, group, version, kind string) string {
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, gvk := range doc.Components.Schemas[name].GVKs {
			if gvk == (groupVersionKind{Group: group, Version: version, Kind: kind}) {
				return name
			}
		}
	}
	return ""
}

// slug makes an HTML id (and GitHub anchor) from s: lower case letters,
// digits and dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// BuildPages builds the page of every group, sorted by group.
func BuildPages(groups []GroupDocs) ([]*Page, error) {
	var pages []*Page
	for _, g := range groups {
		p, err := BuildPage(g)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
	}
	slices.SortFunc(pages, func(a, b *Page) int { return strings.Compare(a.Group, b.Group) })
	return pages, nil
}
