package discovery

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/endpoints/discovery/aggregated"
)

// v2Document reads the ResourceManager's document through its own handler.
func v2Document(t *testing.T, rm http.Handler, header map[string]string) (answer, *apidiscoveryv2.APIGroupDiscoveryList) {
	t.Helper()
	h := map[string]string{"Accept": acceptAggregated}
	for k, v := range header {
		h[k] = v
	}
	a := get(rm, "/apis", h)
	if a.status != http.StatusOK {
		return a, nil
	}
	list := &apidiscoveryv2.APIGroupDiscoveryList{}
	if err := json.Unmarshal(a.body, list); err != nil {
		t.Fatalf("decode v2 document: %v", err)
	}
	return a, list
}

// versionSummary renders one group/version of a v2 document as
// "Freshness resource1[verbs...],..." or "" when it is absent.
func versionSummary(list *apidiscoveryv2.APIGroupDiscoveryList, group, version string) string {
	for _, g := range list.Items {
		for _, v := range g.Versions {
			if g.Name != group || v.Version != version {
				continue
			}
			var resources []string
			for _, r := range v.Resources {
				resources = append(resources, fmt.Sprintf("%s%v", r.Resource, r.Verbs))
			}
			return string(v.Freshness) + " " + strings.Join(resources, ",")
		}
	}
	return ""
}

func groupOrder(list *apidiscoveryv2.APIGroupDiscoveryList) []string {
	var out []string
	for _, g := range list.Items {
		var versions []string
		for _, v := range g.Versions {
			versions = append(versions, v.Version)
		}
		out = append(out, g.Name+":"+strings.Join(versions, ","))
	}
	return out
}

func legacyOrder(list []string) []string {
	var out []string
	for _, s := range list {
		out = append(out, s[:strings.Index(s, "(")])
	}
	return out
}

var (
	flunders = metav1.APIResource{Name: "flunders", SingularName: "flunder", Namespaced: true, Kind: "Flunder",
		Verbs: []string{"get", "list"}, ShortNames: []string{"fl"}, Categories: []string{"all"}}
	flunderStatus = metav1.APIResource{Name: "flunders/status", Namespaced: true, Kind: "Flunder", Verbs: []string{"get", "update"}}
	flunderScale  = metav1.APIResource{Name: "flunders/scale", Namespaced: true, Group: "autoscaling", Version: "v1", Kind: "Scale", Verbs: []string{"get"}}
	fischers      = metav1.APIResource{Name: "fischers", Kind: "Fischer", Verbs: []string{"get"}}
)

func TestManager(t *testing.T) {
	p := newTestPKI(t)
	wardle := p.newBackend(t, "wardle", servesV2, map[string][]metav1.APIResource{
		"wardle.example.com/v1":       {flunders},
		"wardle.example.com/v1beta1":  {fischers},
		"unlisted.example.com/v1":     {fischers},
		"other-in-doc.example.com/v1": {fischers},
	})
	legacy := p.newBackend(t, "legacy", servesLegacy, map[string][]metav1.APIResource{
		"legacy.example.com/v1": {flunders, flunderStatus, flunderScale},
		"late.example.com/v1":   {fischers},
	})
	dead := p.newBackend(t, "dead", servesDown, nil)
	gone := p.newBackend(t, "gone", servesV2, nil)
	gone.server.Close()

	env := newAPIServiceEnv(t,
		apiService("apps/v1", 17800, 15),
		apiService("apiregistration.k8s.io/v1", 18000, 15),
		onService(apiService("wardle.example.com/v1", 1500, 15), "wardle", true),
		onService(apiService("wardle.example.com/v1beta1", 1500, 9), "wardle", true),
		onService(apiService("legacy.example.com/v1", 2000, 15), "legacy", true),
		onService(apiService("dead.example.com/v1", 100, 15), "dead", true),
		onService(apiService("gone.example.com/v1", 100, 15), "gone", true),
		onService(apiService("late.example.com/v1", 50, 15), "legacy", false),
	)
	rm := aggregated.NewResourceManager("apis")
	// What InstallAPIGroups adds for the built-in groups.
	for _, gv := range []metav1.GroupVersion{{Group: "apps", Version: "v1"}, {Group: "apiregistration.k8s.io", Version: "v1"}} {
		rm.AddGroupVersion(gv.Group, apidiscoveryv2.APIVersionDiscovery{Version: gv.Version, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent})
	}
	m, err := NewManager(ManagerConfig{APIServices: env.informer, Resources: rm, Fetch: p.fetcherFor(wardle, legacy, dead, gone)})
	if err != nil {
		t.Fatal(err)
	}
	apis, err := NewAPIsHandler(env.informer)
	if err != nil {
		t.Fatal(err)
	}
	env.start()
	go m.Run(t.Context(), 2)
	<-m.Initialized()

	first, list := v2Document(t, rm, nil)
	t.Run("first round", func(t *testing.T) {
		tests := []struct{ group, version, want string }{
			{"wardle.example.com", "v1", "Current flunders[get list]"},
			{"wardle.example.com", "v1beta1", "Current fischers[get]"},
			{"legacy.example.com", "v1", "Current flunders[get list]"},
			{"dead.example.com", "v1", "Stale "},
			{"gone.example.com", "v1", "Stale "},
			{"late.example.com", "v1", "Stale "},
			{"apps", "v1", "Current "},
			// Served by the backend but not registered: not ours to list.
			{"unlisted.example.com", "v1", ""},
		}
		for _, tt := range tests {
			if got := versionSummary(list, tt.group, tt.version); got != tt.want {
				t.Errorf("%s/%s: %q, want %q", tt.group, tt.version, got, tt.want)
			}
		}
	})

	t.Run("one fetch for two APIServices on one Service", func(t *testing.T) {
		if n := wardle.apisGet.Load(); n != 1 {
			t.Errorf("wardle's /apis was fetched %d times, want 1", n)
		}
	})

	t.Run("legacy fallback converts every field", func(t *testing.T) {
		got := findVersion(list, "legacy.example.com", "v1")
		want := []apidiscoveryv2.APIResourceDiscovery{{
			Resource: "flunders", SingularResource: "flunder", Scope: apidiscoveryv2.ScopeNamespace,
			ResponseKind: &metav1.GroupVersionKind{Group: "legacy.example.com", Version: "v1", Kind: "Flunder"},
			Verbs:        []string{"get", "list"}, ShortNames: []string{"fl"}, Categories: []string{"all"},
			Subresources: []apidiscoveryv2.APISubresourceDiscovery{
				{Subresource: "status", Verbs: []string{"get", "update"},
					ResponseKind: &metav1.GroupVersionKind{Group: "legacy.example.com", Version: "v1", Kind: "Flunder"}},
				{Subresource: "scale", Verbs: []string{"get"},
					ResponseKind: &metav1.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}},
			},
		}}
		if diff := cmp.Diff(want, got.Resources); diff != "" {
			t.Errorf("converted resources (-want +got):\n%s", diff)
		}
	})

	t.Run("v2 orders groups as /apis does", func(t *testing.T) {
		legacyList := decodeGroupList(t, get(apis, "/apis", nil))
		if diff := cmp.Diff(legacyOrder(legacyList), groupOrder(list)); diff != "" {
			t.Errorf("v2 order differs from /apis (-apis +v2):\n%s", diff)
		}
	})

	t.Run("ETag and 304 through the ResourceManager", func(t *testing.T) {
		if first.etag == "" {
			t.Fatal("no ETag on the v2 document")
		}
		if again, _ := v2Document(t, rm, map[string]string{"If-None-Match": first.etag}); again.status != http.StatusNotModified {
			t.Errorf("v2 with its ETag: %d, want 304", again.status)
		}
	})

	t.Run("newly Available group becomes Current", func(t *testing.T) {
		late, err := env.informer.Lister().Get("v1.late.example.com")
		if err != nil {
			t.Fatal(err)
		}
		env.update(onService(late, "legacy", true))
		eventually(t, "late.example.com Current", func() (bool, string) {
			_, list := v2Document(t, rm, nil)
			got := versionSummary(list, "late.example.com", "v1")
			return got == "Current fischers[get]", got
		})
	})

	t.Run("failed refresh keeps the last resources as Stale", func(t *testing.T) {
		wardle.setMode(servesDown)
		v1, err := env.informer.Lister().Get("v1.wardle.example.com")
		if err != nil {
			t.Fatal(err)
		}
		changed := v1.DeepCopy()
		changed.Spec.VersionPriority = 16
		env.update(changed) // a spec change refetches the Service
		eventually(t, "wardle.example.com Stale", func() (bool, string) {
			_, list := v2Document(t, rm, nil)
			got := versionSummary(list, "wardle.example.com", "v1") + " | " + versionSummary(list, "wardle.example.com", "v1beta1")
			return got == "Stale flunders[get list] | Stale fischers[get]", got
		})
	})

	t.Run("removed APIServices leave the document", func(t *testing.T) {
		env.delete("v1.legacy.example.com")
		env.delete("v1.dead.example.com")
		eventually(t, "legacy and dead gone", func() (bool, string) {
			_, list := v2Document(t, rm, nil)
			got := versionSummary(list, "legacy.example.com", "v1") + versionSummary(list, "dead.example.com", "v1")
			return got == "", fmt.Sprint(groupOrder(list))
		})
		_, list := v2Document(t, rm, nil)
		if got := versionSummary(list, "late.example.com", "v1"); got != "Current fischers[get]" {
			t.Errorf("late.example.com, on the same Service as a removed APIService: %q", got)
		}
	})

	for _, b := range []*testBackend{wardle, legacy, dead} {
		b.checkIdentity(t)
	}
}

func findVersion(list *apidiscoveryv2.APIGroupDiscoveryList, group, version string) apidiscoveryv2.APIVersionDiscovery {
	for _, g := range list.Items {
		for _, v := range g.Versions {
			if g.Name == group && v.Version == version {
				return v
			}
		}
	}
	return apidiscoveryv2.APIVersionDiscovery{}
}
