package e2e

import (
	"net"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func clientcmdConfig(path string) (*rest.Config, error) {
	return clientcmd.BuildConfigFromFlags("", path)
}

func listOptions() metav1.ListOptions { return metav1.ListOptions{} }

// registerBackend registers the test backend at backendURL (https://127.0.0.1:port,
// serving a certificate from serving) as APIService v1.<namespace>.example.com
// through a Service <namespace>/api, the way a user registers an extension
// server, and waits until it is Available.
func registerBackend(t *testing.T, k *framework.Kubectl, serving *framework.ServingCert, backendURL, namespace string) {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(backendURL, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	group := namespace + ".example.com"
	k.Apply(framework.RegistrationManifest(namespace, "api", group, "v1", atoi(t, port), serving.CA.CertPEM()))
	k.MustRun("wait", "--for=condition=Available", "apiservice/v1."+group, "--timeout=60s")
}
