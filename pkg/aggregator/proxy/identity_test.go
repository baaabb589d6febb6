package proxy

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// headerEcho answers with the request headers (lower-cased names) and the
// client certificate's common name.
var headerEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	got := map[string][]string{}
	for k, v := range r.Header {
		got[strings.ToLower(k)] = v
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		got["client-cert-cn"] = []string{r.TLS.PeerCertificates[0].Subject.CommonName}
	}
	_ = json.NewEncoder(w).Encode(got)
})

func TestIdentityHeaders(t *testing.T) {
	h := newHarness(t, nil)
	b := h.startBackend(t, headerEcho)
	h.route(t, b.Address)
	h.register(nil)

	malicious := http.Header{
		"Authorization":            []string{"Bearer secret"},
		"X-Remote-User":            []string{"mallory"},
		"X-Remote-Group":           []string{"system:masters"},
		"X-Remote-Uid":             []string{"0"},
		"X-Remote-Extra-Scopes":    []string{"everything"},
		"Impersonate-User":         []string{"admin"},
		"Impersonate-Group":        []string{"system:masters"},
		"Impersonate-Uid":          []string{"0"},
		"Impersonate-Extra-Scopes": []string{"everything"},
		"X-Custom-User":            []string{"mallory"},
		"X-Custom-Group":           []string{"system:masters"},
		"X-Custom-Uid":             []string{"0"},
		"X-Custom-Extra-Scopes":    []string{"everything"},
		"x-remote-group":           []string{"system:masters"}, // non-canonical spelling
		"Accept":                   []string{"application/json"},
	}
	r := h.do(t, http.MethodGet, groupPath+"/namespaces/default/flunders", nil, malicious)
	if r.code != http.StatusOK {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	var got map[string][]string
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"x-remote-user":                       {"alice"},
		"x-remote-uid":                        {"uid-123"},
		"x-remote-group":                      {"dev", "system:authenticated"},
		"x-remote-extra-example.org%2fscopes": {"read", "write"},
		"x-remote-extra-with%3acolon":         {"x"},
		"client-cert-cn":                      {"front-proxy-client"},
		"accept":                              {"application/json"},
	}
	for name, values := range want {
		if !slices.Equal(got[name], values) {
			t.Errorf("backend got %s = %q; want %q", name, got[name], values)
		}
	}
	for name, values := range got {
		forbidden := name == "authorization" || strings.HasPrefix(name, "impersonate-") || strings.HasPrefix(name, "x-custom-") ||
			strings.HasPrefix(name, "x-remote-") && want[name] == nil
		if forbidden {
			t.Errorf("backend got identity header %s = %q from the caller", name, values)
		}
	}
	for _, name := range []string{"x-forwarded-for", "x-forwarded-uri", "x-forwarded-host", "x-forwarded-proto"} {
		if len(got[name]) == 0 {
			t.Errorf("backend got no %s", name)
		}
	}
}

func TestEscapeExtraKey(t *testing.T) {
	tests := map[string]string{
		"scopes":                                "scopes",
		"example.org/scopes":                    "example.org%2Fscopes",
		"authentication.kubernetes.io/pod-name": "authentication.kubernetes.io%2Fpod-name",
		"with:colon and space":                  "with%3Acolon%20and%20space",
		"100%":                                  "100%25",
		"ünï":                                   "%C3%BCn%C3%AF",
	}
	for in, want := range tests {
		if got := escapeExtraKey(in); got != want {
			t.Errorf("escapeExtraKey(%q) = %q; want %q", in, got, want)
		}
	}
}
