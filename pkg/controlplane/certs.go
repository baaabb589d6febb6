package controlplane

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"k8s.io/apiserver/pkg/authentication/serviceaccount"

	"github.com/aggkit/aggkit/pkg/pki"
)

// Names of what a first start generates under DataDir/pki.
const (
	proxyClientCommonName = "aggregator"
	adminCommonName       = "aggkit-admin"
)

// sharedPKIDir holds what replicas share: the CAs, the proxy client
// certificate and the service-account key (--pki-dir, else DataDir/pki).
func (o *Options) sharedPKIDir() string {
	if o.PKIDir != "" {
		return o.PKIDir
	}
	return o.localPKIDir()
}

// localPKIDir holds what is this replica's own: its serving certificate,
// whose names are its addresses, and its admin client certificate.
func (o *Options) localPKIDir() string { return filepath.Join(o.DataDir, "pki") }

// ensurePKI generates every certificate and key that no flag supplied, and
// points the options at them. A restart finds and keeps them; a serving
// certificate that no longer covers the requested names is reissued.
// Replicas given one --pki-dir share its CAs and keys: the first to start
// creates them (under a lock), the others load them, and each signs its own
// serving certificate with the shared CA.
func (o *Options) ensurePKI() error {
	dir := o.sharedPKIDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	local := func(name string) string { return filepath.Join(o.localPKIDir(), name) }
	unlock, err := pki.LockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()

	if o.ClientCAFile == "" {
		if _, err := pki.LoadOrCreateCA(path("ca.crt"), path("ca.key"), "aggkit-ca"); err != nil {
			return err
		}
		o.ClientCAFile = path("ca.crt")
	}
	serving := &o.SecureServing.ServerCert.CertKey
	if serving.CertFile == "" {
		ca, err := pki.LoadOrCreateCA(path("ca.crt"), path("ca.key"), "aggkit-ca")
		if err != nil {
			return err
		}
		if err := ca.LoadOrIssue(local("apiserver.crt"), local("apiserver.key"), o.servingCertSpec()); err != nil {
			return err
		}
		serving.CertFile, serving.KeyFile = local("apiserver.crt"), local("apiserver.key")
	}

	rh := &o.RequestHeader
	if rh.ClientCAFile == "" {
		if _, err := pki.LoadOrCreateCA(path("front-proxy-ca.crt"), path("front-proxy-ca.key"), "aggkit-front-proxy-ca"); err != nil {
			return err
		}
		rh.ClientCAFile = path("front-proxy-ca.crt")
		// The generated front-proxy CA signs only our own proxy client, so
		// kubeadm's usual header names and allowed name apply.
		if len(rh.AllowedNames) == 0 {
			rh.AllowedNames = []string{proxyClientCommonName}
		}
	}
	if len(rh.UsernameHeaders) == 0 {
		rh.UsernameHeaders = []string{"X-Remote-User"}
	}
	if len(rh.GroupHeaders) == 0 {
		rh.GroupHeaders = []string{"X-Remote-Group"}
	}
	if len(rh.ExtraHeaderPrefixes) == 0 {
		rh.ExtraHeaderPrefixes = []string{"X-Remote-Extra-"}
	}
	if o.ProxyClientCertFile == "" {
		if rh.ClientCAFile != path("front-proxy-ca.crt") {
			return fmt.Errorf("--requestheader-client-ca-file is set, so --proxy-client-cert-file and --proxy-client-key-file must be too: aggkit cannot sign a proxy client certificate with a CA whose key it does not have")
		}
		ca, err := pki.LoadOrCreateCA(path("front-proxy-ca.crt"), path("front-proxy-ca.key"), "aggkit-front-proxy-ca")
		if err != nil {
			return err
		}
		spec := pki.CertSpec{CommonName: proxyClientCommonName, Client: true}
		if err := ca.LoadOrIssue(path("front-proxy-client.crt"), path("front-proxy-client.key"), spec); err != nil {
			return err
		}
		o.ProxyClientCertFile, o.ProxyClientKeyFile = path("front-proxy-client.crt"), path("front-proxy-client.key")
	}

	if o.ServiceAccountSigningKeyFile == "" {
		if _, err := pki.LoadOrCreateKey(path("sa.key")); err != nil {
			return err
		}
		o.ServiceAccountSigningKeyFile = path("sa.key")
	}
	if len(o.ServiceAccountKeyFiles) == 0 {
		o.ServiceAccountKeyFiles = []string{o.ServiceAccountSigningKeyFile}
	}
	return nil
}

// servingCertSpec names every address a client may use to reach this server.
func (o *Options) servingCertSpec() pki.CertSpec {
	spec := pki.CertSpec{
		CommonName: "aggkit-apiserver",
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		IPs:    []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		Server: true,
	}
	addIP := func(ip net.IP) {
		if ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
			spec.IPs = append(spec.IPs, ip)
		}
	}
	addIP(o.AdvertiseAddress)
	addIP(o.SecureServing.BindAddress)
	for _, san := range o.ExtraSANs {
		if ip := net.ParseIP(san); ip != nil {
			addIP(ip)
		} else {
			spec.DNSNames = append(spec.DNSNames, san)
		}
	}
	return spec
}

// writeAdminKubeconfig writes DataDir/admin.kubeconfig: a client
// certificate in group system:masters, trusted by the generated client CA.
// It needs the CA's key, so with a user-supplied --client-ca-file whose key
// is not under DataDir/pki it is skipped.
func (o *Options) writeAdminKubeconfig(server string) (string, error) {
	ca, err := o.generatedClientCA()
	if ca == nil || err != nil {
		return "", err
	}
	path := filepath.Join(o.DataDir, "admin.kubeconfig")
	base := filepath.Join(o.localPKIDir(), "admin")
	spec := pki.CertSpec{CommonName: adminCommonName, Organizations: []string{"system:masters"}, Client: true}
	return path, o.writeClientKubeconfig(ca, server, path, base, spec, "")
}

// ClientCredentials names who a client kubeconfig authenticates as.
type ClientCredentials struct {
	User   string
	Groups []string
	// Namespace is the kubeconfig's default namespace; may be empty.
	Namespace string
}

// ServiceAccountCredentials are those of a token of service account
// namespace/name: its user name and the groups Kubernetes gives it.
func ServiceAccountCredentials(namespace, name string) ClientCredentials {
	return ClientCredentials{
		User:      serviceaccount.MakeUsername(namespace, name),
		Groups:    serviceaccount.MakeGroupNames(namespace),
		Namespace: namespace,
	}
}

// WriteClientKubeconfig writes, at path, a kubeconfig that reaches this
// server as who, with a client certificate signed by the generated client
// CA and kept beside it as <path>.crt and <path>.key (reused while still
// good). Unlike a token it needs no Secret and survives restarts. It fails
// when the client CA came from --client-ca-file: aggkit has no key to sign
// with.
func (s *Server) WriteClientKubeconfig(path string, who ClientCredentials) error {
	ca, err := s.opts.generatedClientCA()
	if err != nil {
		return err
	}
	if ca == nil {
		return fmt.Errorf("client CA %s is not aggkit's own: no key to sign a client certificate for %s", s.opts.ClientCAFile, who.User)
	}
	spec := pki.CertSpec{CommonName: who.User, Organizations: who.Groups, Client: true}
	return s.opts.writeClientKubeconfig(ca, s.URL, path, path, spec, who.Namespace)
}

// generatedClientCA is the client CA when aggkit generated it and holds
// its key; nil when the client CA is the user's own.
func (o *Options) generatedClientCA() (*pki.CA, error) {
	dir := o.sharedPKIDir()
	caKey := filepath.Join(dir, "ca.key")
	if o.ClientCAFile != filepath.Join(dir, "ca.crt") {
		return nil, nil
	}
	if _, err := os.Stat(caKey); err != nil {
		return nil, nil
	}
	return pki.LoadOrCreateCA(o.ClientCAFile, caKey, "aggkit-ca")
}

// writeClientKubeconfig issues (or keeps) the client certificate spec at
// certBase.crt/.key and writes a kubeconfig at path that presents it to
// server and trusts this server's serving CA.
func (o *Options) writeClientKubeconfig(ca *pki.CA, server, path, certBase string, spec pki.CertSpec, namespace string) error {
	certPath, keyPath := certBase+".crt", certBase+".key"
	if err := ca.LoadOrIssue(certPath, keyPath, spec); err != nil {
		return err
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return err
	}
	servingCA, err := o.servingCAPEM()
	if err != nil {
		return err
	}
	kc := pki.Kubeconfig{Server: server, CAPEM: servingCA, CertPEM: certPEM, KeyPEM: keyPEM, Namespace: namespace}
	return kc.Write(path)
}

// servingCAPEM is what a client should trust to reach this server: the
// generated CA when it signed the serving certificate, else the serving
// certificate file's own chain.
func (o *Options) servingCAPEM() ([]byte, error) {
	if o.SecureServing.ServerCert.CertKey.CertFile == filepath.Join(o.localPKIDir(), "apiserver.crt") {
		return os.ReadFile(filepath.Join(o.sharedPKIDir(), "ca.crt"))
	}
	return os.ReadFile(o.SecureServing.ServerCert.CertKey.CertFile)
}
