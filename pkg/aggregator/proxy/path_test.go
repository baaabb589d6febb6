package proxy

import (
	"testing"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/backend/backendtest"
)

func TestAPIServiceForPath(t *testing.T) {
	tests := []struct {
		path      string
		name      string
		discovery bool
	}{
		{path: "/apis/wardle.example.com/v1alpha1", name: "v1alpha1.wardle.example.com", discovery: true},
		{path: "/apis/wardle.example.com/v1alpha1/", name: "v1alpha1.wardle.example.com", discovery: true},
		{path: "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders", name: "v1alpha1.wardle.example.com"},
		{path: "/apis/wardle.example.com//flunders", name: ".wardle.example.com"},
		{path: "/apis/wardle.example.com", name: ""},
		{path: "/apis", name: ""},
		{path: "/api", name: "v1."},
		{path: "/api/v1", name: "v1.", discovery: true},
		{path: "/api/v1/namespaces", name: "v1."},
		{path: "/apisx/a/b", name: ""},
		{path: "/", name: ""},
	}
	for _, tt := range tests {
		name, discovery := apiServiceForPath(tt.path)
		if name != tt.name || discovery != tt.discovery {
			t.Errorf("apiServiceForPath(%q) = %q, %v; want %q, %v", tt.path, name, discovery, tt.name, tt.discovery)
		}
	}
}

func TestClaimsIdentity(t *testing.T) {
	h := newIdentityHeaders(Config{RequestHeaderUsernameHeaders: []string{"x-custom-user"}, RequestHeaderExtraHeaderPrefixes: []string{"X-Custom-Extra-"}})
	tests := []struct {
		key  string
		want bool
	}{
		{key: "Authorization", want: true},
		{key: "authorization", want: true},
		{key: "X-Custom-User", want: true},
		{key: "x-cUSTOM-user", want: true},
		{key: "Impersonate-User", want: true},
		{key: "impersonate-extra-scopes", want: true},
		{key: "X-Remote-Extra-Scopes", want: true},
		{key: "x-custom-extra-a", want: true},
		{key: "X-Remote-", want: true},
		{key: "x-remote-addr", want: true},
		{key: "X-Custom-Extra", want: false},
		{key: "Impersonate", want: false},
		{key: "Accept", want: false},
		{key: "X-Custom-Username", want: false},
	}
	for _, tt := range tests {
		if got := h.claimsIdentity(tt.key); got != tt.want {
			t.Errorf("claimsIdentity(%q) = %v; want %v", tt.key, got, tt.want)
		}
	}
}

// Proxies picks the proxy filter chain: only paths of a remote APIService
// the handler knows, available or not.
func TestProxies(t *testing.T) {
	h := NewHandler(Config{Transports: backend.NewTransports(nil)})
	remote := backendtest.APIService("wardle.example.com", "v1alpha1", "wardle", "api", nil)
	h.UpdateAPIService(remote)
	down := backendtest.APIService("down.example.com", "v1", "down", "api", nil)
	down.Status.Conditions = nil
	h.UpdateAPIService(down)
	local := backendtest.APIService("apps", "v1", "", "", nil)
	local.Spec.Service = nil
	h.UpdateAPIService(local)

	tests := []struct {
		path string
		want bool
	}{
		{path: "/apis/wardle.example.com/v1alpha1", want: true},
		{path: "/apis/wardle.example.com/v1alpha1/namespaces/a/flunders/b", want: true},
		{path: "/apis/down.example.com/v1/things", want: true},
		{path: "/apis/wardle.example.com/v1beta1/flunders", want: false},
		{path: "/apis/wardle.example.com", want: false},
		{path: "/apis/apps/v1/deployments", want: false},
		{path: "/api/v1/pods", want: false},
		{path: "/healthz", want: false},
	}
	for _, tt := range tests {
		if got := h.Proxies(tt.path); got != tt.want {
			t.Errorf("Proxies(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	h.RemoveAPIService(remote.Name)
	if h.Proxies("/apis/wardle.example.com/v1alpha1/flunders") {
		t.Error("a removed APIService's paths are still proxied")
	}
}

// TestPathOfIsInverseOfAPIServiceForPath checks that the path the mux
// registers for an APIService routes back to that APIService, for the
// legacy core group ("v1.") as for named groups.
func TestPathOfIsInverseOfAPIServiceForPath(t *testing.T) {
	for _, gv := range []struct{ group, version, name string }{
		{"", "v1", "v1."},
		{"wardle.example.com", "v1alpha1", "v1alpha1.wardle.example.com"},
	} {
		path := PathOf(gv.group, gv.version)
		for _, p := range []string{path, path + "/namespaces/a/things"} {
			if name, _ := apiServiceForPath(p); name != gv.name {
				t.Errorf("PathOf(%q, %q) = %q, which routes to %q, want %q", gv.group, gv.version, p, name, gv.name)
			}
		}
		if _, discovery := apiServiceForPath(path); !discovery {
			t.Errorf("%s is not the discovery document of %s", path, gv.name)
		}
	}
}
