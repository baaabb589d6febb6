package framework

import (
	"context"
	"strings"
	"testing"

	"github.com/aggkit/aggkit/pkg/etcd"
)

// WardleAPIService is the APIService under which sample-apiserver is
// registered.
const WardleAPIService = "v1alpha1.wardle.example.com"

// AggregatedSample is the unmodified sample-apiserver registered behind an
// aggkit the way a Kubernetes user registers it.
type AggregatedSample struct {
	Aggkit  *Aggkit
	Kubectl *Kubectl
	Sample  *SampleAPIServer
	// Restart starts sample-apiserver again at the registered address.
	Restart func() *SampleAPIServer
	// Replica starts another sample-apiserver on the same storage, at host
	// (a loopback address) and the registered port.
	Replica func(host string) *SampleAPIServer
	// Port is the registered backend port.
	Port int
}

// StartAggregatedSample starts aggkit and sample-apiserver (on its own
// embedded etcd), applies the registration with a caBundle from a serving
// CA made here, and waits until the APIService is Available.
func StartAggregatedSample(t testing.TB) *AggregatedSample {
	t.Helper()
	store, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Stop)
	a := StartAggkit(t, "")
	k := NewKubectl(t, a.Kubeconfig)

	serving := NewServingCert(t, "wardle", "api")
	port := FreePort(t)
	k.Apply(RegistrationManifest("wardle", "api", "wardle.example.com", "v1alpha1", port, serving.CA.CertPEM()))
	token := strings.TrimSpace(k.MustRun("create", "token", "apiserver", "-n", "wardle", "--duration=2h"))
	kubeconfig := a.WriteTokenKubeconfig(token)
	replica := func(host string) *SampleAPIServer {
		return StartSampleAPIServerAt(t, host, port, store.ClientURL, kubeconfig,
			"--tls-cert-file", serving.CertFile, "--tls-private-key-file", serving.KeyFile)
	}
	start := func() *SampleAPIServer { return replica("127.0.0.1") }
	s := &AggregatedSample{Aggkit: a, Kubectl: k, Sample: start(), Restart: start, Replica: replica, Port: port}
	k.MustRun("wait", "--for=condition=Available", "apiservice/"+WardleAPIService, "--timeout=60s")
	return s
}
