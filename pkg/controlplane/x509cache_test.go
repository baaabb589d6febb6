package controlplane

import (
	"crypto/tls"
	stdx509 "crypto/x509"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	genericoptions "k8s.io/apiserver/pkg/server/options"

	"github.com/aggkit/aggkit/pkg/pki"
)

// authFunc adapts a function to authenticator.Request.
type authFunc func(*http.Request) (*authenticator.Response, bool, error)

func (f authFunc) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	return f(req)
}

func TestCachedX509(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.LoadOrCreateCA(filepath.Join(dir, "other.crt"), filepath.Join(dir, "other.key"), "other-ca")
	if err != nil {
		t.Fatal(err)
	}
	caContent, err := dynamiccertificates.NewStaticCAContent("test", ca.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	verifications := 0
	inner := x509.NewDynamic(caContent.VerifyOptions, x509.CommonNameUserConversion)
	counted := authFunc(func(req *http.Request) (*authenticator.Response, bool, error) {
		verifications++
		return inner.AuthenticateRequest(req)
	})
	c := newCachedX509(counted, caContent)
	now := time.Now()
	c.now = func() time.Time { return now }

	request := func(issuer *pki.CA, name string) *http.Request {
		cert, _, err := issuer.Issue(pki.CertSpec{CommonName: name, Client: true})
		if err != nil {
			t.Fatal(err)
		}
		return &http.Request{TLS: &tls.ConnectionState{PeerCertificates: []*stdx509.Certificate{cert}}}
	}
	alice := request(ca, "alice")
	for range 3 {
		resp, ok, err := c.AuthenticateRequest(alice)
		if !ok || err != nil || resp.User.GetName() != "alice" {
			t.Fatalf("alice: %v %v %v", resp, ok, err)
		}
	}
	if verifications != 1 {
		t.Fatalf("the same chain was verified %d times, want once", verifications)
	}
	// Another certificate is verified on its own.
	if resp, ok, _ := c.AuthenticateRequest(request(ca, "bob")); !ok || resp.User.GetName() != "bob" || verifications != 2 {
		t.Fatalf("bob: ok=%v verifications=%d", ok, verifications)
	}
	// A chain from an untrusted CA fails every time: failures are not cached.
	mallory := request(other, "mallory")
	for range 2 {
		if _, ok, _ := c.AuthenticateRequest(mallory); ok {
			t.Fatal("a certificate from an untrusted CA was accepted")
		}
	}
	if verifications != 4 {
		t.Fatalf("failures must be verified each time; verifications=%d", verifications)
	}
	// Past the TTL the chain is verified again.
	now = now.Add(x509CacheTTL + time.Second)
	if _, ok, _ := c.AuthenticateRequest(alice); !ok || verifications != 5 {
		t.Fatalf("after the TTL: ok=%v verifications=%d", ok, verifications)
	}
	// No certificate: no opinion, nothing verified.
	if _, ok, _ := c.AuthenticateRequest(&http.Request{}); ok || verifications != 5 {
		t.Fatal("a request without a certificate was authenticated")
	}
}

// On a cache hit the server's authenticator hands back the cached user as
// it is: system:authenticated is added once, before caching, rather than
// copying the user and its groups on every request.
func TestCachedX509UserHasAuthenticatedGroup(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "client-ca")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.LoadOrCreateCA(filepath.Join(dir, "proxy-ca.crt"), filepath.Join(dir, "proxy-ca.key"), "proxy-ca"); err != nil {
		t.Fatal(err)
	}
	o := NewOptions()
	o.ClientCAFile = filepath.Join(dir, "ca.crt")
	o.RequestHeader = genericoptions.RequestHeaderAuthenticationOptions{ClientCAFile: filepath.Join(dir, "proxy-ca.crt"),
		UsernameHeaders: []string{"X-Remote-User"}, AllowedNames: []string{"front-proxy"}}
	authn, err := o.buildAuthentication()
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := ca.Issue(pki.CertSpec{CommonName: "alice", Organizations: []string{"devs"}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	req := &http.Request{Header: http.Header{}, TLS: &tls.ConnectionState{PeerCertificates: []*stdx509.Certificate{cert}}}
	var users []user.Info
	for range 2 {
		resp, ok, err := authn.request.AuthenticateRequest(req)
		if !ok || err != nil {
			t.Fatalf("alice not authenticated: %v", err)
		}
		users = append(users, resp.User)
	}
	if got, want := users[1].GetGroups(), []string{"devs", user.AllAuthenticated}; !slices.Equal(got, want) {
		t.Errorf("groups %q; want %q", got, want)
	}
	if users[0] != users[1] {
		t.Error("a cache hit copied the user: system:authenticated was added after the cache, not before")
	}
}
