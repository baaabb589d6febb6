package controlplane

import (
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

const (
	// x509CacheTTL bounds how long a verified chain is trusted without
	// verifying it again.
	x509CacheTTL = time.Minute
	// x509CacheSize bounds memory; the cache is emptied when it fills.
	x509CacheSize = 1024
)

// cachedX509 remembers the outcome of verifying a client certificate
// chain. Over HTTP/2 every request on a connection presents the same
// chain, and verifying it again cost a quarter of the proxy path's CPU
// (bench/proxy). The key covers the whole presented chain and the current
// CA bundle, so a CA change or another certificate is verified afresh; an
// entry never outlives the leaf certificate. Failures are not cached.
type cachedX509 struct {
	inner authenticator.Request
	ca    dynamiccertificates.CAContentProvider
	now   func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]x509Entry
}

type x509Entry struct {
	resp    *authenticator.Response
	expires time.Time
}

func newCachedX509(inner authenticator.Request, ca dynamiccertificates.CAContentProvider) *cachedX509 {
	return &cachedX509{inner: inner, ca: ca, now: time.Now, entries: map[[sha256.Size]byte]x509Entry{}}
}

func (c *cachedX509) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	h := sha256.New()
	h.Write(c.ca.CurrentCABundleContent())
	for _, cert := range req.TLS.PeerCertificates {
		h.Write(cert.Raw)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	now := c.now()

	c.mu.Lock()
	entry, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(entry.expires) {
		return &authenticator.Response{Audiences: entry.resp.Audiences, User: entry.resp.User}, true, nil
	}

	resp, ok, err := c.inner.AuthenticateRequest(req)
	if !ok || err != nil {
		return resp, ok, err
	}
	expires := now.Add(x509CacheTTL)
	if leafEnd := req.TLS.PeerCertificates[0].NotAfter; leafEnd.Before(expires) {
		expires = leafEnd
	}
	c.mu.Lock()
	if len(c.entries) >= x509CacheSize {
		clear(c.entries)
	}
	c.entries[key] = x509Entry{resp: resp, expires: expires}
	c.mu.Unlock()
	return resp, true, nil
}
