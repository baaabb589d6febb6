package extension

import (
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/aggkit/aggkit/pkg/kubeversion"
)

// kind collects every version of one kind registered with the builder.
type kind struct {
	group         string
	name          string
	resource      string
	versions      map[string]Object
	hubVersion    string
	storeVersion  string
	computed      *Computed
	clusterScoped bool
}

// hub returns the prototype of the hub version, which is also the type the
// server stores, validates and admits.
func (k *kind) hub() Object { return k.versions[k.hubVersion] }

// kindOf derives kind name and version from the Go type of obj.
func kindOf(obj Object) (kindName, ver string, err error) {
	t := reflect.TypeOf(obj)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return "", "", fmt.Errorf("resource %T: want a pointer to a struct", obj)
	}
	t = t.Elem()
	ver = path.Base(t.PkgPath())
	if !kubeversion.Valid(ver) {
		return "", "", fmt.Errorf("resource %s.%s: cannot infer the API version from package %q; put the type in a package named like v1, v1beta1 or v1alpha1", t.PkgPath(), t.Name(), t.PkgPath())
	}
	return t.Name(), ver, nil
}

// ResourceName is the resource (plural) name a kind is served under unless
// it implements ResourceNamer: lower case with an English plural ending
// (Policy → policies, Box → boxes). Tools that write manifests or clients
// for a kind use it to agree with the server.
func ResourceName(kindName string) string {
	s := strings.ToLower(kindName)
	switch {
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

// finish checks the collected versions of a kind and picks hub and storage
// version.
func (k *kind) finish(storageVersion string) error {
	var hubs []string
	for v, obj := range k.versions {
		if _, ok := obj.(Hub); ok {
			hubs = append(hubs, v)
		}
	}
	sort.Strings(hubs)
	switch {
	case len(k.versions) == 1:
		for v := range k.versions {
			k.hubVersion = v
		}
	case len(hubs) == 1:
		k.hubVersion = hubs[0]
	case len(hubs) == 0:
		return fmt.Errorf("kind %s is served in versions %v: mark one version's type as the hub with a Hub() method", k.name, k.versionList())
	default:
		return fmt.Errorf("kind %s has more than one hub version: %v", k.name, hubs)
	}
	for v, obj := range k.versions {
		if v == k.hubVersion {
			continue
		}
		if _, ok := obj.(Convertible); !ok {
			return fmt.Errorf("kind %s version %s must implement extension.Convertible (ConvertTo/ConvertFrom the hub version %s)", k.name, v, k.hubVersion)
		}
	}
	k.storeVersion = k.hubVersion
	if _, ok := k.versions[storageVersion]; ok {
		k.storeVersion = storageVersion
	}
	hubObj := k.hub()
	if cs, ok := hubObj.(ClusterScoped); ok {
		k.clusterScoped = cs.ClusterScoped()
	}
	for v, obj := range k.versions {
		cs, ok := obj.(ClusterScoped)
		if (ok && cs.ClusterScoped()) != k.clusterScoped {
			return fmt.Errorf("kind %s: version %s disagrees with hub %s on cluster scope", k.name, v, k.hubVersion)
		}
	}
	k.resource = ResourceName(k.name)
	if rn, ok := hubObj.(ResourceNamer); ok {
		k.resource = rn.ResourceName()
	}
	return nil
}

// versionList returns the kind's versions, most preferred first.
func (k *kind) versionList() []string {
	var vs []string
	for v := range k.versions {
		vs = append(vs, v)
	}
	sortVersions(vs)
	return vs
}

// sortVersions orders versions as Kubernetes does: GA before beta before
// alpha, higher numbers first.
func sortVersions(vs []string) { kubeversion.Sort(vs) }

// newOf returns a fresh zero value of obj's type.
func newOf(obj runtime.Object) runtime.Object {
	return reflect.New(reflect.TypeOf(obj).Elem()).Interface().(runtime.Object)
}
