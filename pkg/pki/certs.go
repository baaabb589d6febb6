package pki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"slices"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	// renewBefore makes a restart reissue a leaf well before it expires.
	renewBefore = 30 * 24 * time.Hour
)

// CA is a certificate authority whose key is at hand.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// CertPEM returns the CA certificate PEM-encoded, as a caBundle or a
// client-ca-file wants it.
func (ca *CA) CertPEM() []byte {
	return encodeCert(ca.Cert)
}

// LoadOrCreateCA returns the CA stored at certPath/keyPath, creating a
// self-signed one named commonName when either file is missing.
func LoadOrCreateCA(certPath, keyPath, commonName string) (*CA, error) {
	certs, certErr := certutil.CertsFromFile(certPath)
	key, keyErr := loadKey(keyPath)
	if certErr == nil && keyErr == nil {
		return &CA{Cert: certs[0], Key: key}, nil
	}
	if !notExist(certErr) && certErr != nil {
		return nil, fmt.Errorf("CA %s: %w", certPath, certErr)
	}
	if !notExist(keyErr) && keyErr != nil {
		return nil, fmt.Errorf("CA %s: %w", keyPath, keyErr)
	}
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("CA %s: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := writeKey(keyPath, key); err != nil {
		return nil, err
	}
	if err := writeFile(certPath, encodeCert(cert), 0o644); err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// CertSpec describes a leaf certificate.
type CertSpec struct {
	CommonName    string
	Organizations []string
	DNSNames      []string
	IPs           []net.IP
	// Server and Client choose the extended key usages.
	Server, Client bool
}

// Issue signs a new certificate for spec and returns it with its key.
func (ca *CA) Issue(spec CertSpec) (*x509.Certificate, crypto.Signer, error) {
	key, err := NewKey()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: spec.CommonName, Organization: spec.Organizations},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames:     spec.DNSNames,
		IPAddresses:  spec.IPs,
	}
	if spec.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if spec.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue %q: %w", spec.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// LoadOrIssue keeps the certificate at certPath/keyPath when it was signed by
// ca, still matches spec and is not close to expiry; otherwise it issues and
// stores a new one. This lets a restart pick up a new --advertise-address.
func (ca *CA) LoadOrIssue(certPath, keyPath string, spec CertSpec) error {
	if certs, err := certutil.CertsFromFile(certPath); err == nil {
		if _, keyErr := loadKey(keyPath); keyErr == nil && ca.stillGood(certs[0], spec) {
			return nil
		}
	}
	cert, key, err := ca.Issue(spec)
	if err != nil {
		return err
	}
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	return writeFile(certPath, encodeCert(cert), 0o644)
}

func (ca *CA) stillGood(cert *x509.Certificate, spec CertSpec) bool {
	if cert.CheckSignatureFrom(ca.Cert) != nil || time.Until(cert.NotAfter) < renewBefore {
		return false
	}
	if cert.Subject.CommonName != spec.CommonName || !slices.Equal(cert.Subject.Organization, spec.Organizations) {
		return false
	}
	for _, name := range spec.DNSNames {
		if !slices.Contains(cert.DNSNames, name) {
			return false
		}
	}
	for _, ip := range spec.IPs {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// Verify reports whether certPEM chains to ca for the given usage and name;
// tests and the doctor use it to check what was written.
func (ca *CA) Verify(certPEM []byte, usage x509.ExtKeyUsage, dnsName string) error {
	certs, err := certutil.ParseCertsPEM(certPEM)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	_, err = certs[0].Verify(x509.VerifyOptions{Roots: pool, DNSName: dnsName, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}

// SameCert reports whether two PEM files hold the same first certificate.
func SameCert(a, b []byte) bool {
	ca, errA := certutil.ParseCertsPEM(a)
	cb, errB := certutil.ParseCertsPEM(b)
	return errA == nil && errB == nil && bytes.Equal(ca[0].Raw, cb[0].Raw)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n
}

func notExist(err error) bool { return err != nil && errors.Is(err, os.ErrNotExist) }

func encodeCert(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: certutil.CertificateBlockType, Bytes: cert.Raw})
}

// SelfSigned makes a certificate for spec signed by its own new key, for a
// client that trusts exactly this certificate (the server's loopback client).
func SelfSigned(spec CertSpec, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := NewKey()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: spec.CommonName, Organization: spec.Organizations},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		DNSNames:              spec.DNSNames,
		IPAddresses:           spec.IPs,
	}
	if spec.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if spec.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("self-signed %q: %w", spec.CommonName, err)
	}
	keyPEM, err = keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: certutil.CertificateBlockType, Bytes: der}), keyPEM, nil
}
