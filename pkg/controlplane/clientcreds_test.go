package controlplane

import (
	"crypto/x509"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"

	"github.com/aggkit/aggkit/pkg/pki"
)

// TestWriteClientKubeconfig checks the API that run local and aggtest use
// for an extension server's credentials: the kubeconfig presents a client
// certificate of the service account's user and groups signed by the
// server's client CA, and trusts the server's serving CA. With a client CA
// that is not aggkit's own, it refuses rather than sign with a wrong CA.
func TestWriteClientKubeconfig(t *testing.T) {
	o := NewOptions()
	o.DataDir = t.TempDir()
	if err := o.ensurePKI(); err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: o, URL: "https://127.0.0.1:6443"}
	path := filepath.Join(t.TempDir(), "server.kubeconfig")
	if err := s.WriteClientKubeconfig(path, ServiceAccountCredentials("wardle", "apiserver")); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != s.URL {
		t.Errorf("server %q, want %q", cfg.Host, s.URL)
	}
	certs, err := certutil.ParseCertsPEM(cfg.CertData)
	if err != nil {
		t.Fatal(err)
	}
	if cn := certs[0].Subject.CommonName; cn != "system:serviceaccount:wardle:apiserver" {
		t.Errorf("user %q", cn)
	}
	if orgs := certs[0].Subject.Organization; !slices.Equal(orgs, []string{"system:serviceaccounts", "system:serviceaccounts:wardle"}) {
		t.Errorf("groups %v", orgs)
	}
	clientCA, err := pki.LoadOrCreateCA(o.ClientCAFile, filepath.Join(o.sharedPKIDir(), "ca.key"), "aggkit-ca")
	if err != nil {
		t.Fatal(err)
	}
	if err := clientCA.Verify(cfg.CertData, x509.ExtKeyUsageClientAuth, ""); err != nil {
		t.Errorf("client certificate not signed by the client CA: %v", err)
	}
	servingCA, err := o.servingCAPEM()
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.CAData) != string(servingCA) {
		t.Error("kubeconfig does not trust the serving CA")
	}

	foreign := t.TempDir()
	if _, err := pki.LoadOrCreateCA(filepath.Join(foreign, "ca.crt"), filepath.Join(foreign, "ca.key"), "someone-else"); err != nil {
		t.Fatal(err)
	}
	o.ClientCAFile = filepath.Join(foreign, "ca.crt")
	if err := s.WriteClientKubeconfig(filepath.Join(t.TempDir(), "x.kubeconfig"), ServiceAccountCredentials("a", "b")); err == nil {
		t.Error("a client certificate was issued though the client CA is not aggkit's own")
	}
}
