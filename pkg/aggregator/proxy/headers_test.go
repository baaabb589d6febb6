package proxy

import (
	"crypto/tls"
	"net/http"
	"net/http/httputil"
	"reflect"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
)

// setForwarded must set exactly what httputil's SetXForwarded sets.
func TestSetForwardedMatchesHTTPUtil(t *testing.T) {
	for _, tc := range []struct {
		name       string
		remoteAddr string
		tls        bool
		prior      []string
	}{
		{name: "tls", remoteAddr: "10.0.0.1:5000", tls: true},
		{name: "plain", remoteAddr: "[::1]:5000"},
		{name: "prior hops", remoteAddr: "10.0.0.1:5000", tls: true, prior: []string{"1.1.1.1", "2.2.2.2, 3.3.3.3"}},
		{name: "no port", remoteAddr: "10.0.0.1", prior: []string{"1.1.1.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := http.NewRequest(http.MethodGet, "https://aggkit.example/apis/g/v", nil)
			if err != nil {
				t.Fatal(err)
			}
			in.RemoteAddr = tc.remoteAddr
			if tc.tls {
				in.TLS = &tls.ConnectionState{}
			}
			outHeader := func() http.Header {
				h := http.Header{"Accept": {"application/json"}}
				if tc.prior != nil {
					h["X-Forwarded-For"] = append([]string(nil), tc.prior...)
				}
				return h
			}
			want := &httputil.ProxyRequest{In: in, Out: &http.Request{Header: outHeader()}}
			want.SetXForwarded()
			got := outHeader()
			b := newHeaderBlock(got, forwardedCount)
			b.setForwarded(in)
			if !reflect.DeepEqual(got, want.Out.Header) {
				t.Errorf("setForwarded: %v; SetXForwarded: %v", got, want.Out.Header)
			}
		})
	}
}

// Setting the identity headers of a user takes one allocation, however
// many groups and extras it has (bench/proxypath counts every one).
func TestIdentityForwardAllocations(t *testing.T) {
	ids := newIdentityHeaders(Config{})
	u := &user.DefaultInfo{Name: "alice", UID: "uid-1", Groups: []string{"dev", "ops", "system:authenticated"},
		Extra: map[string][]string{"authentication.kubernetes.io/credential-id": {"X509SHA256=ab"}, "scopes": {"a", "b"}}}
	header := http.Header{"Accept": {"application/json"}, "X-Remote-User": {"mallory"}}
	allocs := testing.AllocsPerRun(100, func() {
		b := newHeaderBlock(header, identityCount(u))
		ids.forward(&b, u)
	})
	if allocs > 1 {
		t.Errorf("forward allocates %v times per request; want 1", allocs)
	}
	want := http.Header{
		"Accept":         {"application/json"},
		"X-Remote-User":  {"alice"},
		"X-Remote-Uid":   {"uid-1"},
		"X-Remote-Group": {"dev", "ops", "system:authenticated"},
		"X-Remote-Extra-Authentication.kubernetes.io%2fcredential-Id": {"X509SHA256=ab"},
		"X-Remote-Extra-Scopes": {"a", "b"},
	}
	if !reflect.DeepEqual(header, want) {
		t.Errorf("headers %v; want %v", header, want)
	}
	// Values of one header must not run into the next one's.
	header["X-Remote-User"] = append(header["X-Remote-User"], "appended")
	if got := header["X-Remote-Uid"]; len(got) != 1 || got[0] != "uid-1" {
		t.Errorf("appending to X-Remote-User changed X-Remote-Uid to %q", got)
	}
}

// The extra header name cache stays bounded whatever keys callers bring.
func TestExtraHeaderNamesBounded(t *testing.T) {
	var c extraHeaderNames
	for i := range 2 * maxExtraHeaderNames {
		key := "example.org/key-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if got, want := c.headerFor(key), http.CanonicalHeaderKey("X-Remote-Extra-"+escapeExtraKey(key)); got != want {
			t.Fatalf("headerFor(%q) = %q; want %q", key, got, want)
		}
	}
	if n := c.count.Load(); n > maxExtraHeaderNames {
		t.Errorf("cache holds %d names; bound %d", n, maxExtraHeaderNames)
	}
}

func TestLookupAllocatesNothing(t *testing.T) {
	h := NewHandler(Config{})
	h.apiServices["v1alpha1.wardle.example.com"] = &target{}
	allocs := testing.AllocsPerRun(100, func() {
		if !h.Proxies("/apis/wardle.example.com/v1alpha1/namespaces/default/flunders") {
			t.Fatal("not proxied")
		}
	})
	if allocs != 0 {
		t.Errorf("Proxies allocates %v times; want 0", allocs)
	}
}

// moveHeader must leave the client's response header as ReverseProxy's
// value-by-value copy would, and keep Content-Type where ReverseProxy reads
// it to decide whether to flush an event stream.
func TestMoveHeaderMatchesCopy(t *testing.T) {
	backend := func() http.Header {
		return http.Header{
			"Content-Type":   {"text/event-stream"},
			"Content-Length": {"12"},
			"Audit-Id":       {"from-backend"},
			"x-odd-spelling": {"a", "b"},
			"Vary":           {"Accept", "Accept-Encoding"},
		}
	}
	ours := func() http.Header {
		h := http.Header{}
		h.Set("Audit-Id", "ours")
		h.Set("Cache-Control", "no-cache, private")
		return h
	}

	want := ours()
	for key, values := range backend() {
		for _, v := range values {
			want.Add(key, v)
		}
	}

	got, src := ours(), backend()
	moveHeader(got, src)
	for key, values := range src { // what ReverseProxy then copies
		for _, v := range values {
			got.Add(key, v)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("client header after moveHeader and copy:\n%v\nwant (copy alone):\n%v", got, want)
	}
	if len(src) != 1 || src.Get("Content-Type") != "text/event-stream" {
		t.Errorf("backend header left for ReverseProxy: %v, want only its Content-Type", src)
	}
}
