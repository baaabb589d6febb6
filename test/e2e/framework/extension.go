package framework

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/childprocess"
)

// Extension is the registration of an extension server behind an aggkit,
// made before the server runs, as a user does it: one APIService per
// version with the caBundle of a serving CA, the Service and Endpoints at
// 127.0.0.1:Port, and a service account with the RBAC extension servers
// need.
type Extension struct {
	// Port is where the server must listen (--secure-port).
	Port int
	// Serving holds the certificate the server must present
	// (--tls-cert-file, --tls-private-key-file).
	Serving *ServingCert
	// Kubeconfig is a token kubeconfig of the server's service account,
	// for --kubeconfig.
	Kubeconfig string
	// APIServices are the registered names, <version>.<group>.
	APIServices []string
}

// RegisterExtension registers group in the given versions behind a, with
// the server's Service in namespace.
func RegisterExtension(t testing.TB, a *Aggkit, k *Kubectl, namespace, service, group string, versions ...string) *Extension {
	t.Helper()
	e := &Extension{Port: FreePort(t), Serving: NewServingCert(t, namespace, service)}
	for _, v := range versions {
		k.Apply(RegistrationManifest(namespace, service, group, v, e.Port, e.Serving.CA.CertPEM()))
		e.APIServices = append(e.APIServices, v+"."+group)
	}
	token := strings.TrimSpace(k.MustRun("create", "token", "apiserver", "-n", namespace, "--duration=2h"))
	e.Kubeconfig = a.WriteTokenKubeconfig(token)
	return e
}

// Args are the flags that make an extension server serve this
// registration.
func (e *Extension) Args() []string {
	return []string{"--secure-port", strconv.Itoa(e.Port), "--bind-address", "127.0.0.1",
		"--tls-cert-file", e.Serving.CertFile, "--tls-private-key-file", e.Serving.KeyFile,
		"--kubeconfig", e.Kubeconfig}
}

// WaitServing waits until the server answers /readyz ok with the registered
// certificate, or exited is closed.
func (e *Extension) WaitServing(ctx context.Context, exited <-chan struct{}) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.Serving.CA.CertPEM())
	client := &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	return childprocess.PollReadyz(ctx, client, "https://127.0.0.1:"+strconv.Itoa(e.Port), "extension server", exited,
		func() error { return errors.New("exited") })
}

// WaitAvailable waits until aggkit reports every APIService Available.
func (e *Extension) WaitAvailable(k *Kubectl) {
	k.t.Helper()
	for _, name := range e.APIServices {
		k.MustRun("wait", "--for=condition=Available", "apiservice/"+name, "--timeout=60s")
	}
}
