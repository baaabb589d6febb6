package framework

import (
	"os"
	"path/filepath"

	"github.com/aggkit/aggkit/pkg/pki"
)

// UserKubeconfig writes a kubeconfig for a client certificate with the
// given user name and groups, signed by the aggkit's generated client CA,
// and returns its path. The user has no rights until RBAC grants some.
func (a *Aggkit) UserKubeconfig(name string, groups ...string) string {
	a.t.Helper()
	dir := filepath.Join(a.DataDir, "pki")
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "aggkit-ca")
	if err != nil {
		a.t.Fatal(err)
	}
	certPath := filepath.Join(a.t.TempDir(), name+".crt")
	keyPath := filepath.Join(filepath.Dir(certPath), name+".key")
	if err := ca.LoadOrIssue(certPath, keyPath, pki.CertSpec{CommonName: name, Organizations: groups, Client: true}); err != nil {
		a.t.Fatal(err)
	}
	certPEM, _ := os.ReadFile(certPath)
	keyPEM, _ := os.ReadFile(keyPath)
	path := filepath.Join(filepath.Dir(certPath), name+".kubeconfig")
	kc := pki.Kubeconfig{Server: a.RESTConfig().Host, CAPEM: ca.CertPEM(), CertPEM: certPEM, KeyPEM: keyPEM}
	if err := kc.Write(path); err != nil {
		a.t.Fatal(err)
	}
	return path
}
