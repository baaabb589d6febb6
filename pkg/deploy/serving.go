package deploy

import (
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"k8s.io/client-go/util/keyutil"

	"github.com/aggkit/aggkit/pkg/pki"
)

// Serving is the server's TLS identity: the CA whose certificate becomes
// every APIService's caBundle, and the serving certificate and key it
// signed, which go into the Secret the pods mount.
type Serving struct {
	CA      *pki.CA
	CertPEM []byte
	KeyPEM  []byte
	// CertFile and KeyFile hold the two on disk (for --tls-cert-file and
	// --tls-private-key-file); empty from NewServing, which keeps nothing.
	CertFile, KeyFile string
}

// ServingCertSpec is the serving certificate of the Service name in
// namespace: every DNS form of the Service, so the aggregator (which dials
// <name>.<namespace>.svc) and in-cluster clients alike can verify it.
// A server on this machine (run local, aggtest, e2e) also answers on the
// loopback addresses local, and then at localhost.
func ServingCertSpec(name, namespace string, local ...net.IP) pki.CertSpec {
	spec := pki.CertSpec{CommonName: name + "." + namespace + ".svc", DNSNames: ServiceDNSNames(name, namespace), Server: true}
	if len(local) > 0 {
		spec.DNSNames = append(spec.DNSNames, "localhost")
		spec.IPs = local
	}
	return spec
}

// LoadOrCreateServing keeps the CA and serving certificate under dir
// (ca.crt, ca.key, tls.crt, tls.key), making what is missing. The CA
// (valid 10 years) outlives the certificate it signs (1 year); a rebuild
// keeps both, so the caBundle does not change, and reissues the certificate
// only when it no longer fits the Service or nears expiry. The CA key never
// leaves dir; a .gitignore there keeps the keys out of version control.
// local is as for ServingCertSpec.
func LoadOrCreateServing(dir, name, namespace string, local ...net.IP) (*Serving, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("serving PKI: %w", err)
	}
	ignore := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(ignore); os.IsNotExist(err) {
		if err := os.WriteFile(ignore, []byte("# Private keys: the CA key stays here, out of the cluster and of git.\n*.key\n"), 0o644); err != nil {
			return nil, fmt.Errorf("serving PKI: %w", err)
		}
	}
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), name+"."+namespace+"-serving-ca")
	if err != nil {
		return nil, fmt.Errorf("serving CA: %w", err)
	}
	certPath, keyPath := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := ca.LoadOrIssue(certPath, keyPath, ServingCertSpec(name, namespace, local...)); err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	s := &Serving{CA: ca, CertFile: certPath, KeyFile: keyPath}
	if s.CertPEM, err = os.ReadFile(certPath); err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	if s.KeyPEM, err = os.ReadFile(keyPath); err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	return s, nil
}

// NewServing makes a new CA and serving certificate, keeping nothing on
// disk: the CA key is gone once the objects are made.
func NewServing(name, namespace string) (*Serving, error) {
	dir, err := os.MkdirTemp("", "aggkit-serving-")
	if err != nil {
		return nil, fmt.Errorf("serving PKI: %w", err)
	}
	defer os.RemoveAll(dir)
	s, err := LoadOrCreateServing(dir, name, namespace)
	if err != nil {
		return nil, err
	}
	s.CertFile, s.KeyFile = "", ""
	return s, nil
}

// verify checks that the certificate chains to the CA for every DNS
// form of the Service, before anything is written or applied.
func (s *Serving) verify(name, namespace string) error {
	if _, err := keyutil.ParsePrivateKeyPEM(s.KeyPEM); err != nil {
		return fmt.Errorf("serving key: %w", err)
	}
	for _, dns := range ServiceDNSNames(name, namespace) {
		if err := s.CA.Verify(s.CertPEM, x509.ExtKeyUsageServerAuth, dns); err != nil {
			return fmt.Errorf("serving certificate for %s: %w", dns, err)
		}
	}
	return nil
}
