package backend

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"sync"

	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// clientCert presents the current proxy client certificate. It is read at
// every handshake, so a rotated certificate applies to the next connection;
// the parsed pair is cached until the content changes.
type clientCert struct {
	provider dynamiccertificates.CertKeyContentProvider

	mu            sync.Mutex
	certPEM, keyP []byte
	parsed        *tls.Certificate

	// The hash of the last content seen; see hash.
	hashMu                sync.Mutex
	hashed                bool
	hashedCert, hashedKey []byte
	sum                   [sha256.Size]byte
}

// content returns the current PEM pair, or nils when no certificate is configured.
func (c *clientCert) content() (certPEM, keyPEM []byte) {
	if c.provider == nil {
		return nil, nil
	}
	return c.provider.CurrentCertKeyContent()
}

// GetClientCertificate is a tls.Config hook. Without a configured certificate
// it sends none, as kube-aggregator does without --proxy-client-cert-file.
func (c *clientCert) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	certPEM, keyPEM := c.content()
	if len(certPEM) == 0 || len(keyPEM) == 0 {
		return &tls.Certificate{}, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parsed != nil && bytes.Equal(certPEM, c.certPEM) && bytes.Equal(keyPEM, c.keyP) {
		return c.parsed, nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("proxy client certificate %s: %w", c.provider.Name(), err)
	}
	c.certPEM, c.keyP, c.parsed = certPEM, keyPEM, &pair
	return c.parsed, nil
}
