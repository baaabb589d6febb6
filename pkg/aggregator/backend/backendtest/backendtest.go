package backendtest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aggkit/aggkit/pkg/pki"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// CA is a test certificate authority.
type CA struct {
	*pki.CA
}

// NewCA creates a CA in a temporary directory.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), name)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{ca}
}

// Pool returns a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// Issue returns a certificate for spec as a tls.Certificate and as PEM.
func (ca *CA) Issue(t testing.TB, spec pki.CertSpec) (pair tls.Certificate, certPEM, keyPEM []byte) {
	t.Helper()
	cert, key, err := ca.CA.Issue(spec)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err = keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: certutil.CertificateBlockType, Bytes: cert.Raw})
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, certPEM, keyPEM
}

// WriteClientCert issues a client certificate for commonName and writes it to
// certFile and keyFile, replacing what is there.
func (ca *CA) WriteClientCert(t testing.TB, certFile, keyFile, commonName string) {
	t.Helper()
	_, certPEM, keyPEM := ca.Issue(t, pki.CertSpec{CommonName: commonName, Client: true})
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Backend is a running TLS server standing in for a Service's pod.
type Backend struct {
	*httptest.Server
	// Address is the host:port to send requests to.
	Address string
	// Connections counts accepted TCP connections.
	Connections atomic.Int64
}

// StartBackend serves h over TLS (HTTP/2 offered) with a certificate from ca
// for serverName. With clientCAs set, a client certificate is requested and,
// when sent, verified against it; handlers read it from r.TLS.PeerCertificates.
func StartBackend(t testing.TB, ca *CA, serverName string, clientCAs *x509.CertPool, h http.Handler) *Backend {
	t.Helper()
	return StartConfiguredBackend(t, ca, serverName, clientCAs, h, nil)
}

// StartConfiguredBackend is StartBackend with configure called on the
// server before it starts, to change its limits or turn HTTP/2 off.
func StartConfiguredBackend(t testing.TB, ca *CA, serverName string, clientCAs *x509.CertPool, h http.Handler, configure func(*httptest.Server)) *Backend {
	t.Helper()
	pair, _, _ := ca.Issue(t, pki.CertSpec{CommonName: serverName, DNSNames: []string{serverName}, Server: true})
	b := &Backend{}
	b.Server = httptest.NewUnstartedServer(h)
	b.EnableHTTP2 = true
	b.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	if clientCAs != nil {
		b.TLS.ClientAuth, b.TLS.ClientCAs = tls.VerifyClientCertIfGiven, clientCAs
	}
	b.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are what many tests are about
	b.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.Connections.Add(1)
		}
	}
	if configure != nil {
		configure(b.Server)
	}
	b.StartTLS()
	b.Address = b.Listener.Addr().String()
	t.Cleanup(b.Close)
	return b
}

// APIService returns a remote APIService for version.group backed by
// service namespace/name on port 443, verified with caBundle.
func APIService(group, version, namespace, name string, caBundle []byte) *apiregistrationv1.APIService {
	return &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: version + "." + group},
		Spec: apiregistrationv1.APIServiceSpec{
			Group: group, Version: version,
			Service:              &apiregistrationv1.ServiceReference{Namespace: namespace, Name: name, Port: ptrInt32(443)},
			CABundle:             caBundle,
			GroupPriorityMinimum: 1000, VersionPriority: 15,
		},
		Status: apiregistrationv1.APIServiceStatus{Conditions: []apiregistrationv1.APIServiceCondition{{
			Type: apiregistrationv1.Available, Status: apiregistrationv1.ConditionTrue, Reason: "Passed",
		}}},
	}
}

func ptrInt32(v int32) *int32 { return &v }
