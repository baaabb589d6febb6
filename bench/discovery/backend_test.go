package discovery

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// fakeBackend serves discovery, and nothing else, for many groups of one
// version each: what the aggregator reads from a backend to build /apis.
type fakeBackend struct {
	groups []string
	port   int
}

const (
	benchVersion  = "v1"
	aggregatedV2  = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
	benchResource = "widgets"
)

func startFakeBackend(b *testing.B, serving *framework.ServingCert, groups []string) *fakeBackend {
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		b.Fatal(err)
	}
	f := &fakeBackend{groups: groups, port: ln.Addr().(*net.TCPAddr).Port}
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return f
}

func (f *fakeBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/apis" && strings.Contains(r.Header.Get("Accept"), "as=APIGroupDiscoveryList"):
		w.Header().Set("Content-Type", aggregatedV2)
		writeJSON(w, f.aggregated())
	case r.URL.Path == "/apis":
		writeJSON(w, f.legacyGroups())
	case strings.HasPrefix(r.URL.Path, "/apis/"):
		gv := strings.TrimPrefix(r.URL.Path, "/apis/")
		group, version, ok := strings.Cut(gv, "/")
		if !ok || version != benchVersion || !f.serves(group) {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, resourceList(gv))
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeBackend) serves(group string) bool {
	for _, g := range f.groups {
		if g == group {
			return true
		}
	}
	return false
}

func (f *fakeBackend) aggregated() *apidiscoveryv2.APIGroupDiscoveryList {
	list := &apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"}}
	for _, g := range f.groups {
		list.Items = append(list.Items, apidiscoveryv2.APIGroupDiscovery{
			ObjectMeta: metav1.ObjectMeta{Name: g},
			Versions: []apidiscoveryv2.APIVersionDiscovery{{
				Version:   benchVersion,
				Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
				Resources: []apidiscoveryv2.APIResourceDiscovery{{
					Resource:         benchResource,
					ResponseKind:     &metav1.GroupVersionKind{Group: g, Version: benchVersion, Kind: "Widget"},
					Scope:            apidiscoveryv2.ScopeNamespace,
					SingularResource: "widget",
					Verbs:            []string{"get", "list"},
				}},
			}},
		})
	}
	return list
}

func (f *fakeBackend) legacyGroups() *metav1.APIGroupList {
	list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	for _, g := range f.groups {
		gv := metav1.GroupVersionForDiscovery{GroupVersion: g + "/" + benchVersion, Version: benchVersion}
		list.Groups = append(list.Groups, metav1.APIGroup{Name: g, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv})
	}
	return list
}

func resourceList(gv string) *metav1.APIResourceList {
	return &metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: gv,
		APIResources: []metav1.APIResource{{Name: benchResource, SingularName: "widget", Namespaced: true, Kind: "Widget", Verbs: []string{"get", "list"}}},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	// An encoding error here is a client that went away; nothing to tell it.
	_ = json.NewEncoder(w).Encode(v)
}
