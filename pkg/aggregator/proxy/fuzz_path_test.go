package proxy

import (
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzProxiedPath sends "/apis/" + target, byte for byte, through the real
// RequestInfo and authorization filters to the proxy. Whatever reaches the
// backend is the path and query that were authorized, resolves to the same
// RequestInfo there, and stays inside the APIService's /apis/<group>/<version>;
// and every canonical path of the APIService does reach it.
func FuzzProxiedPath(f *testing.F) {
	h := newHarness(f, nil)
	c := newChainFront(f, h)
	var trace int
	f.Fuzz(func(t *testing.T, target string) {
		if strings.ContainsAny(target, " \r\n") {
			return // not one request line; the server's parser, not the proxy, deals with these
		}
		trace++
		id := strconv.Itoa(trace)
		code, err := c.sendRaw("/apis/"+target, traceHeader+": "+id)
		if err != nil {
			t.Fatal(err)
		}
		authorized, received := c.take(id)
		if authorized == nil {
			if received != nil {
				t.Fatalf("the backend got %q, which was never authorized", received.RequestURI)
			}
			return // the server refused the request line
		}
		name, _ := apiServiceForPath(authorized.Path)
		if received == nil {
			if name == apiName && canonicalPath(authorized.Path) {
				t.Fatalf("authorized %q, a canonical path of %s, did not reach the backend (status %d)", authorized.Path, apiName, code)
			}
			return
		}
		if received.Path != authorized.Path {
			t.Errorf("backend got path %q; authorized %q", received.Path, authorized.Path)
		}
		if sent, _, _ := strings.Cut(received.RequestURI, "?"); sent != (&url.URL{Path: authorized.Path}).EscapedPath() {
			t.Errorf("backend got the path spelt %q, not canonically escaped: the caller's spelling of %q reached it", sent, authorized.Path)
		}
		if diff := sameRequestInfo(received.Info, authorized.Info); diff != "" {
			t.Errorf("backend resolved another request than was authorized:\n  %s", diff)
		}
		if clean := path.Clean(received.Path); clean != groupPath && !strings.HasPrefix(clean, groupPath+"/") {
			t.Errorf("backend got %q, which resolves to %q, outside %s", received.Path, clean, groupPath)
		}
		if !canonicalPath(received.Path) {
			t.Errorf("backend got %q, which has empty or dot segments", received.Path)
		}
		if !maps.EqualFunc(received.Query, authorized.Query, slices.Equal) {
			t.Errorf("backend got query %q; authorized %q", received.Query, authorized.Query)
		}
		if code != http.StatusOK {
			t.Errorf("status %d for a request the backend answered", code)
		}
	})
}
