package proxy

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
)

// TestBackendGetsAuthorizedPath: whatever the caller's spelling, a real
// backend receives the path that RequestInfo and authorization read (the
// decoded one, sent canonically escaped) and the query re-encoded, and so
// resolves the same namespace, resource and name. Paths with segments a
// backend may resolve differently are refused before they reach it.
func TestBackendGetsAuthorizedPath(t *testing.T) {
	h := newHarness(t, nil)
	c := newChainFront(t, h)
	tests := []struct {
		name, target string
		wantPath     string // as the backend decodes it
		wantURI      string // as the backend receives it
		wantCode     int
	}{
		{name: "plain", target: groupPath + "/namespaces/sec/foos",
			wantPath: groupPath + "/namespaces/sec/foos", wantURI: groupPath + "/namespaces/sec/foos"},
		{name: "encoded slash", target: groupPath + "/namespaces/sec%2ffoos",
			wantPath: groupPath + "/namespaces/sec/foos", wantURI: groupPath + "/namespaces/sec/foos"},
		{name: "encoded slash upper case", target: groupPath + "/namespaces%2Fsec%2Ffoos%2Fbar",
			wantPath: groupPath + "/namespaces/sec/foos/bar", wantURI: groupPath + "/namespaces/sec/foos/bar"},
		{name: "double encoding is decoded once", target: groupPath + "/namespaces/a%252fb/foos",
			wantPath: groupPath + "/namespaces/a%2fb/foos", wantURI: groupPath + "/namespaces/a%252fb/foos"},
		{name: "encoded unicode", target: groupPath + "/namespaces/caf%C3%A9/foos",
			wantPath: groupPath + "/namespaces/café/foos", wantURI: groupPath + "/namespaces/caf%C3%A9/foos"},
		{name: "raw unicode", target: groupPath + "/namespaces/café/foos",
			wantPath: groupPath + "/namespaces/café/foos", wantURI: groupPath + "/namespaces/caf%C3%A9/foos"},
		{name: "encoded question mark and hash", target: groupPath + "/namespaces/a%3Fb%23c/foos",
			wantPath: groupPath + "/namespaces/a?b#c/foos", wantURI: groupPath + "/namespaces/a%3Fb%23c/foos"},
		{name: "needless escapes", target: groupPath + "/namespaces/%73ec/fo%6Fs",
			wantPath: groupPath + "/namespaces/sec/foos", wantURI: groupPath + "/namespaces/sec/foos"},
		{name: "discovery with encoded trailing slash", target: groupPath + "%2f",
			wantPath: groupPath + "/", wantURI: groupPath + "/"},
		{name: "query re-encoded", target: groupPath + "/namespaces/sec/foos?watch=1&labelSelector=a%3Db&x=%zz",
			wantPath: groupPath + "/namespaces/sec/foos", wantURI: groupPath + "/namespaces/sec/foos?labelSelector=a%3Db&watch=1"},
		{name: "encoded dot dot", target: groupPath + "/namespaces/mine/foos/%2e%2e/%2e%2e/theirs/foos", wantCode: http.StatusBadRequest},
		{name: "encoded slashes and dots leave the prefix", target: groupPath + "%2f..%2f..%2fv1%2fsecrets", wantCode: http.StatusBadRequest},
		{name: "dot dot", target: groupPath + "/namespaces/mine/foos/../../theirs/foos", wantCode: http.StatusBadRequest},
		{name: "dot", target: groupPath + "/namespaces/./foos", wantCode: http.StatusBadRequest},
		{name: "empty segment", target: groupPath + "/namespaces//foos", wantCode: http.StatusBadRequest},
		{name: "encoded empty segment", target: groupPath + "/namespaces/%2ffoos", wantCode: http.StatusBadRequest},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trace := strconv.Itoa(i)
			code, err := c.sendRaw(tt.target, traceHeader+": "+trace)
			if err != nil {
				t.Fatal(err)
			}
			authorized, received := c.take(trace)
			if authorized == nil {
				t.Fatalf("the request was not authorized (status %d)", code)
			}
			if tt.wantCode != 0 {
				if code != tt.wantCode || received != nil {
					t.Fatalf("status %d, backend reached: %v; want %d and not reached", code, received != nil, tt.wantCode)
				}
				return
			}
			if code != http.StatusOK || received == nil {
				t.Fatalf("status %d, backend reached: %v", code, received != nil)
			}
			if received.Path != tt.wantPath || received.RequestURI != tt.wantURI {
				t.Errorf("backend got path %q as %q; want %q as %q", received.Path, received.RequestURI, tt.wantPath, tt.wantURI)
			}
			if received.Path != authorized.Path {
				t.Errorf("backend got path %q; authorized %q", received.Path, authorized.Path)
			}
			if diff := sameRequestInfo(received.Info, authorized.Info); diff != "" {
				t.Errorf("backend resolved another request than was authorized:\n  %s", diff)
			}
			if !maps.EqualFunc(received.Query, authorized.Query, slices.Equal) {
				t.Errorf("backend got query %q; authorized %q", received.Query, authorized.Query)
			}
			if got := received.Header.Get("X-Forwarded-Uri"); got != tt.wantURI {
				t.Errorf("X-Forwarded-Uri %q; want %q", got, tt.wantURI)
			}
		})
	}
}

func TestCanonicalPath(t *testing.T) {
	tests := map[string]bool{
		"/":                     true,
		"/apis/g/v":             true,
		"/apis/g/v/":            true,
		"/apis/g/v/a.b/..c/...": true,
		"/apis/g/v//":           false,
		"/apis//g/v":            false,
		"/apis/g/v/.":           false,
		"/apis/g/v/..":          false,
		"/apis/g/v/../":         false,
		"/apis/g/./v":           false,
	}
	for path, want := range tests {
		if got := canonicalPath(path); got != want {
			t.Errorf("canonicalPath(%q) = %v; want %v", path, got, want)
		}
	}
}

// forwardAuthorized keeps nothing of the caller's spelling.
func TestForwardAuthorized(t *testing.T) {
	in, err := url.ParseRequestURI("/apis/g/v/namespaces/sec%2ffoos?b=2&a=%2f")
	if err != nil {
		t.Fatal(err)
	}
	out := *in
	forwardAuthorized(&out, in)
	if got, want := out.RequestURI(), "/apis/g/v/namespaces/sec/foos?a=%2F&b=2"; got != want {
		t.Fatalf("forwarded %q; want %q", got, want)
	}
}
