package runlocal

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/pki"
)

// ServingCert is the extension server's serving certificate and the CA
// that signed it, whose certificate is the APIServices' caBundle.
type ServingCert struct {
	CA       *pki.CA
	CertFile string
	KeyFile  string
}

// EnsureServingCert keeps, under dir, a CA (ca.crt, ca.key) and a serving
// certificate it signed (tls.crt, tls.key) for every name the aggregator may
// use for Service namespace/service, plus localhost and 127.0.0.1. Both are
// reused while still good, so a caBundle registered in an earlier run stays
// valid.
func EnsureServingCert(dir, namespace, service string) (*ServingCert, error) {
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), service+"-serving-ca")
	if err != nil {
		return nil, fmt.Errorf("serving CA: %w", err)
	}
	svc := service + "." + namespace + ".svc"
	spec := pki.CertSpec{
		CommonName: svc,
		DNSNames:   append(deploy.ServiceDNSNames(service, namespace), "localhost"),
		IPs:        []net.IP{net.ParseIP("127.0.0.1")},
		Server:     true,
	}
	s := &ServingCert{CA: ca, CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}
	if err := ca.LoadOrIssue(s.CertFile, s.KeyFile, spec); err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	return s, nil
}

// WriteServiceAccountKubeconfig writes, at path, a kubeconfig reaching cp
// as system:serviceaccount:<namespace>:<name>, with the groups a token of
// that account carries. It holds a client certificate signed by the
// control plane's client CA (kept next to it as <path>.crt/.key), so unlike
// a token it needs no Secret and survives restarts of the control plane.
func WriteServiceAccountKubeconfig(path string, cp *ControlPlane, namespace, name string) error {
	pkiDir := filepath.Join(cp.DataDir, "pki")
	ca, err := pki.LoadOrCreateCA(filepath.Join(pkiDir, "ca.crt"), filepath.Join(pkiDir, "ca.key"), "aggkit-ca")
	if err != nil {
		return fmt.Errorf("control plane client CA: %w", err)
	}
	spec := pki.CertSpec{
		CommonName:    "system:serviceaccount:" + namespace + ":" + name,
		Organizations: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace},
		Client:        true,
	}
	certFile, keyFile := path+".crt", path+".key"
	if err := ca.LoadOrIssue(certFile, keyFile, spec); err != nil {
		return fmt.Errorf("service account certificate: %w", err)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	// Trust what the admin kubeconfig trusts for the control plane.
	admin, err := clientcmd.LoadFromFile(cp.AdminKubeconfig)
	if err != nil {
		return fmt.Errorf("control plane admin kubeconfig: %w", err)
	}
	var servingCA []byte
	for _, c := range admin.Clusters {
		servingCA = c.CertificateAuthorityData
	}
	kc := pki.Kubeconfig{Server: cp.URL, CAPEM: servingCA, CertPEM: certPEM, KeyPEM: keyPEM, Namespace: namespace}
	return kc.Write(path)
}
