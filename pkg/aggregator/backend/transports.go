package backend

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"

	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Transports caches one Transport per APIService name. It is safe for
// concurrent use.
type Transports struct {
	cert *clientCert

	mu     sync.Mutex
	byName map[string]cachedTransport
}

type cachedTransport struct {
	settings  tlsSettings
	certHash  [sha256.Size]byte
	transport *Transport
}

// NewTransports returns transports presenting proxyClientCert to backends;
// nil means no client certificate is sent.
func NewTransports(proxyClientCert dynamiccertificates.CertKeyContentProvider) *Transports {
	return &Transports{cert: &clientCert{provider: proxyClientCert}, byName: map[string]cachedTransport{}}
}

// For returns the Transport for a remote APIService (spec.service set). The
// backend is verified as "<service>.<namespace>.svc" against spec.caBundle,
// or not at all when spec.insecureSkipTLSVerify is set. The Transport is
// reused until spec.caBundle, spec.insecureSkipTLSVerify, the Service or the
// proxy client certificate changes; then the old one's idle connections are
// closed so that new connections present the new certificate.
func (t *Transports) For(apiService *apiregistrationv1.APIService) (*Transport, error) {
	ref := apiService.Spec.Service
	if ref == nil {
		return nil, fmt.Errorf("APIService %s is local: it has no backend to connect to", apiService.Name)
	}
	certHash := t.cert.hash()

	t.mu.Lock()
	defer t.mu.Unlock()
	cached, ok := t.byName[apiService.Name]
	if ok && cached.certHash == certHash && cached.settings.matches(ref, apiService.Spec.CABundle, apiService.Spec.InsecureSkipTLSVerify) {
		return cached.transport, nil
	}
	settings := tlsSettings{
		service:    ref.Name,
		namespace:  ref.Namespace,
		serverName: ref.Name + "." + ref.Namespace + ".svc",
		caBundle:   apiService.Spec.CABundle,
		insecure:   apiService.Spec.InsecureSkipTLSVerify,
	}
	transport, err := newTransport(settings, t.cert)
	if err != nil {
		return nil, fmt.Errorf("APIService %s: %w", apiService.Name, err)
	}
	if ok {
		klog.V(2).InfoS("Rebuilt backend transport", "apiService", apiService.Name, "serverName", settings.serverName,
			"certificateChanged", cached.certHash != certHash)
		cached.transport.CloseIdleConnections("")
	}
	t.byName[apiService.Name] = cachedTransport{settings: settings, certHash: certHash, transport: transport}
	return transport, nil
}

// Forget drops the Transport of a deleted APIService and closes its idle
// connections.
func (t *Transports) Forget(apiServiceName string) {
	t.mu.Lock()
	cached, ok := t.byName[apiServiceName]
	delete(t.byName, apiServiceName)
	t.mu.Unlock()
	if ok {
		cached.transport.CloseIdleConnections("")
	}
}

// hash identifies the current proxy certificate. For runs on every proxied
// request, so the hash of the last content is kept and reused while the
// provider returns the same content (the same slices, normally, which
// bytes.Equal recognises without reading them).
func (c *clientCert) hash() [sha256.Size]byte {
	certPEM, keyPEM := c.content()
	c.hashMu.Lock()
	defer c.hashMu.Unlock()
	if c.hashed && bytes.Equal(certPEM, c.hashedCert) && bytes.Equal(keyPEM, c.hashedKey) {
		return c.sum
	}
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0})
	h.Write(keyPEM)
	copy(c.sum[:], h.Sum(nil))
	c.hashed, c.hashedCert, c.hashedKey = true, certPEM, keyPEM
	return c.sum
}

// matches reports whether s is what an APIService with these fields asks
// for, without building its server name.
func (s tlsSettings) matches(ref *apiregistrationv1.ServiceReference, caBundle []byte, insecure bool) bool {
	return s.service == ref.Name && s.namespace == ref.Namespace && s.insecure == insecure && bytes.Equal(s.caBundle, caBundle)
}
