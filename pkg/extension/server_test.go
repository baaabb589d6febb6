package extension_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/extension"
)

// testServer is an extension server started in this process, standalone
// (client certificates, system:masters only) on an in-memory embedded etcd.
type testServer struct {
	config  *rest.Config // system:masters
	dynamic *dynamic.DynamicClient
	ca      *testCA
	host    string
}

// startServer runs srv until the test ends and returns once it is ready.
func startServer(t *testing.T, srv *extension.Server) *testServer {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t)
	caFile := filepath.Join(dir, "client-ca.crt")
	if err := os.WriteFile(caFile, ca.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := srv.Options()
	o.Standalone = true
	o.InMemory = true
	o.Recommended.SecureServing.Listener = l
	o.Recommended.SecureServing.BindPort = l.Addr().(*net.TCPAddr).Port
	o.Recommended.Authentication.ClientCert.ClientCA = caFile

	ctx, cancel := context.WithCancel(context.Background())
	var runErr error
	done := make(chan struct{})
	go func() { runErr = srv.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if runErr != nil && !errors.Is(runErr, context.Canceled) {
			t.Errorf("server stopped with: %v", runErr)
		}
	})

	ts := &testServer{ca: ca, host: "https://" + l.Addr().String()}
	ts.config = ts.userConfig(t, "admin", "system:masters")
	ts.waitReady(t, done, &runErr)
	ts.dynamic, err = dynamic.NewForConfig(ts.config)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// userConfig is a client config authenticating as user with groups.
func (ts *testServer) userConfig(t *testing.T, user string, groups ...string) *rest.Config {
	certPEM, keyPEM := ts.ca.issue(t, user, groups)
	return &rest.Config{
		Host: ts.host,
		TLSClientConfig: rest.TLSClientConfig{
			Insecure: true, // serving certificate is self-signed for localhost
			CertData: certPEM, KeyData: keyPEM,
		},
	}
}

func (ts *testServer) waitReady(t *testing.T, done <-chan struct{}, runErr *error) {
	t.Helper()
	client, err := rest.HTTPClientFor(ts.config)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatalf("server exited before ready: %v", *runErr)
		default:
		}
		resp, err := client.Get(ts.host + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("server not ready")
}

// testCA issues client certificates trusted by the server.
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-client-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) issue(t *testing.T, user string, groups []string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: user, Organization: groups},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
