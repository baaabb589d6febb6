package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/pkg/etcd"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestAvailabilityLeaseAcrossReplicas: two aggkit replicas on one etcd with
// --apiservice-availability-lease elect one status writer through a Lease;
// when the writer stops, the other takes over and keeps the Available
// condition true to the facts (issue 3: replicas must not fight over status).
func TestAvailabilityLeaseAcrossReplicas(t *testing.T) {
	store, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Stop)
	args := []string{"--etcd-servers", store.ClientURL, "--apiservice-availability-lease", "--apiservice-availability-period", "1s"}
	replicas := []*framework.Aggkit{framework.StartAggkit(t, "", args...), framework.StartAggkit(t, "", args...)}

	holder := func(a *framework.Aggkit) string {
		lease, err := a.Client().CoordinationV1().Leases("kube-system").Get(context.Background(), "aggkit-apiservice-availability", metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil {
			return ""
		}
		return *lease.Spec.HolderIdentity
	}
	framework.Eventually(t, 30*time.Second, func() bool { return holder(replicas[0]) != "" },
		func() string { return "no replica holds the availability lease" })
	first := holder(replicas[0])

	backend := startDiscoveryBackend(t, 0)
	k := framework.NewKubectl(t, replicas[0].Kubeconfig)
	k.Apply(framework.RegistrationManifest("lease", "api", "lease.example.com", "v1", backend.port, backend.serving.CA.CertPEM()))
	const name = "v1.lease.example.com"
	waitCondition(t, replicas[1], name, apiregistrationv1.ConditionTrue)

	// Stop the replica that writes (client-go's elector logs its win); the
	// other must take the lease and report the backend going away.
	// Both logs are read before either replica stops: once the writer has
	// stopped, the other acquires the lease within a few seconds.
	var writers []int
	for i, a := range replicas {
		if strings.Contains(a.Log(), `"Successfully acquired lease" lock="kube-system/aggkit-apiservice-availability"`) {
			writers = append(writers, i)
		}
	}
	if len(writers) != 1 {
		t.Fatalf("replicas %v say they acquired the lease, want exactly one", writers)
	}
	writer := replicas[writers[0]]
	survivor := replicas[1-writers[0]]
	writer.Stop()
	// Released while still serving (a pre-shutdown hook), so the survivor
	// need not wait for the lease to expire.
	if log := writer.Log(); strings.Contains(log, "Failed to release lease") || strings.Contains(log, "lease not released") {
		t.Errorf("the stopping writer did not release the lease:\n%s", log[max(0, len(log)-3000):])
	}
	stopped := time.Now()
	backend.stop()
	waitCondition(t, survivor, name, apiregistrationv1.ConditionFalse)
	t.Logf("writer stopped -> the other replica wrote Available=False: %s", time.Since(stopped).Round(10*time.Millisecond))
	if now := holder(survivor); now == "" || now == first {
		t.Errorf("lease holder after the writer stopped: %q (was %q)", now, first)
	}
}

func waitCondition(t *testing.T, a *framework.Aggkit, name string, want apiregistrationv1.ConditionStatus) {
	t.Helper()
	client, err := aggregatorclient.NewForConfig(a.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	status := func() apiregistrationv1.ConditionStatus {
		svc, err := client.ApiregistrationV1().APIServices().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return ""
		}
		for _, c := range svc.Status.Conditions {
			if c.Type == apiregistrationv1.Available {
				return c.Status
			}
		}
		return ""
	}
	framework.Eventually(t, 45*time.Second, func() bool { return status() == want },
		func() string { return name + " Available=" + string(status()) + ", want " + string(want) })
}

// discoveryBackend answers discovery of lease.example.com/v1 over TLS, and
// nothing else: enough for the availability probe.
type discoveryBackend struct {
	serving *framework.ServingCert
	port    int
	stop    func()
}

// startDiscoveryBackend listens on port, any free one when 0.
func startDiscoveryBackend(t *testing.T, port int) *discoveryBackend {
	t.Helper()
	return startDiscoveryBackendWith(t, framework.NewServingCert(t, "lease", "api"), port)
}

func startDiscoveryBackendWith(t *testing.T, serving *framework.ServingCert, port int) *discoveryBackend {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apis/lease.example.com/v1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "lease.example.com/v1"})
	})}
	go func() { _ = srv.Serve(ln) }()
	b := &discoveryBackend{serving: serving, port: ln.Addr().(*net.TCPAddr).Port, stop: func() { _ = srv.Close() }}
	t.Cleanup(b.stop)
	return b
}
