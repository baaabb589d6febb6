package deploy

import (
	"crypto/x509"
	"net"
	"os"
	"testing"
)

// TestLoadOrCreateServingLocal checks the one serving-certificate issuance
// that run local, aggtest and e2e share with build config: a local server's
// certificate also verifies at localhost and its loopback addresses, a
// cluster one does not, and both verify for the Service and sit on disk
// where the server's --tls-* flags can name them.
func TestLoadOrCreateServingLocal(t *testing.T) {
	local, err := LoadOrCreateServing(t.TempDir(), "api", "wardle", net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := LoadOrCreateServing(t.TempDir(), "api", "wardle")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Serving{local, cluster} {
		if err := s.verify("api", "wardle"); err != nil {
			t.Error(err)
		}
		onDisk, err := os.ReadFile(s.CertFile)
		if err != nil || string(onDisk) != string(s.CertPEM) {
			t.Errorf("CertFile %q does not hold the certificate: %v", s.CertFile, err)
		}
	}
	for _, host := range []string{"localhost", "127.0.0.1", "127.0.0.2"} {
		if err := local.CA.Verify(local.CertPEM, x509.ExtKeyUsageServerAuth, host); err != nil {
			t.Errorf("local certificate at %s: %v", host, err)
		}
		if err := cluster.CA.Verify(cluster.CertPEM, x509.ExtKeyUsageServerAuth, host); err == nil {
			t.Errorf("cluster certificate verifies at %s", host)
		}
	}
	kept, err := NewServing("api", "wardle")
	if err != nil {
		t.Fatal(err)
	}
	if kept.CertFile != "" || kept.KeyFile != "" {
		t.Errorf("NewServing names files it removed: %q %q", kept.CertFile, kept.KeyFile)
	}
}
