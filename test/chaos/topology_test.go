package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/pki"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// Names of what the client writes and where.
const (
	writeNamespace = "chaos"
)

// backendHosts are the two sample-apiserver replicas' addresses: one
// Service port, two loopback IPs, as two pods behind a Service.
var backendHosts = []string{"127.0.0.1", "127.0.0.2"}

// env is the running topology.
type env struct {
	t        *testing.T
	etcd     *etcdCluster
	replicas []*framework.Aggkit
	// partition[i] stands between replica 2 and etcd member i.
	partition []*tcpProxy
	// apiLB spreads the backends' calls to aggkit (token and access reviews,
	// informers) over the replicas, as the kubernetes Service does.
	apiLB      *tcpProxy
	backends   []*framework.SampleAPIServer
	port       int
	serving    *framework.ServingCert
	kubeconfig string
	health     *backendHealth
	// hold is how long a fault lasts before its repair.
	hold   time.Duration
	status *statusWatch
	writer *writer
}

// startEnv starts etcd, the aggkit replicas, registers sample-apiserver
// and starts its two replicas, and waits until the APIService is Available.
func startEnv(t *testing.T) *env {
	t.Helper()
	began := time.Now()
	phase := func(what string) { t.Logf("setup: %s at %s", what, time.Since(began).Round(100*time.Millisecond)) }
	// Link the programs side by side; each start below would build its own.
	var builds sync.WaitGroup
	for _, pkg := range []string{framework.EtcdPackage, framework.AggkitPackage, framework.SampleAPIServerPackage} {
		builds.Go(func() { _, _ = framework.BuildPackage(pkg) })
	}
	builds.Wait()
	phase("programs built")
	e := &env{t: t, etcd: startEtcdCluster(t, 3), health: newBackendHealth(len(backendHosts))}
	phase("etcd cluster healthy")
	urls := e.etcd.clientURLs()
	for _, u := range urls {
		e.partition = append(e.partition, startTCPProxy(t, strings.TrimPrefix(u, "http://")))
	}
	var viaProxy []string
	for _, p := range e.partition {
		viaProxy = append(viaProxy, "http://"+p.addr())
	}
	lease := "--apiservice-availability-lease"
	first := framework.StartAggkit(t, "", "--etcd-servers", strings.Join(urls, ","), lease)
	phase("first aggkit ready")
	// The others share its PKI (today that means copying pki/) and start
	// together; a failed start fails the test from its goroutine.
	e.replicas = []*framework.Aggkit{first, nil, nil}
	var starts sync.WaitGroup
	for i := 1; i < 3; i++ {
		dir := t.TempDir()
		copyDir(t, filepath.Join(first.DataDir, "pki"), filepath.Join(dir, "pki"))
		servers := urls
		if i == 2 {
			servers = viaProxy
		}
		starts.Go(func() {
			e.replicas[i] = framework.StartAggkit(t, dir, "--etcd-servers", strings.Join(servers, ","), lease)
		})
	}
	starts.Wait()
	if t.Failed() {
		t.FailNow()
	}
	phase("three aggkit replicas ready")
	var addrs []string
	for _, a := range e.replicas {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", a.Port))
	}
	e.apiLB = startTCPProxy(t, addrs...)
	e.register()
	e.backends = make([]*framework.SampleAPIServer, len(backendHosts))
	for i := range backendHosts {
		starts.Go(func() { e.startBackend(i) })
	}
	starts.Wait()
	if t.Failed() {
		t.FailNow()
	}
	phase("backends ready")
	e.waitAvailable(90 * time.Second)
	phase("APIService Available")
	return e
}

// register applies the registration a Kubernetes user applies (the e2e
// framework's manifest) through the API, with both backend addresses in
// the Endpoints, and writes the backends' token kubeconfig.
func (e *env) register() {
	t := e.t
	e.serving = framework.NewServingCert(t, "wardle", "api")
	e.port = framework.FreePort(t)
	manifest := framework.RegistrationManifest("wardle", "api", "wardle.example.com", "v1alpha1", e.port, e.serving.CA.CertPEM())
	manifest += fmt.Sprintf(`
---
apiVersion: v1
kind: Endpoints
metadata: {name: api, namespace: wardle}
subsets:
- addresses: [{ip: %s}, {ip: %s}]
  ports: [{name: https, port: %d}]
---
apiVersion: v1
kind: Namespace
metadata: {name: %s}
`, backendHosts[0], backendHosts[1], e.port, writeNamespace)
	cfg := e.replicas[0].RESTConfig()
	cfg.WarningHandler = rest.NoWarnings{} // the manifest's Endpoints are deprecated, and meant
	apply(t, dynamic.NewForConfigOrDie(cfg), manifest)

	ctx := context.Background()
	expiry := int64(7200)
	token, err := e.replicas[0].Client().CoreV1().ServiceAccounts("wardle").CreateToken(ctx, "apiserver",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(e.replicas[0].DataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	e.kubeconfig = filepath.Join(t.TempDir(), "backend.kubeconfig")
	if err := (pki.Kubeconfig{Server: "https://" + e.apiLB.addr(), CAPEM: ca, Token: token.Status.Token}).Write(e.kubeconfig); err != nil {
		t.Fatal(err)
	}
}

// startBackend starts sample-apiserver replica i at its registered address
// and marks it healthy once it answers /readyz.
func (e *env) startBackend(i int) {
	s := framework.StartSampleAPIServerAt(e.t, backendHosts[i], e.port, strings.Join(e.etcd.clientURLs(), ","), e.kubeconfig,
		"--tls-cert-file", e.serving.CertFile, "--tls-private-key-file", e.serving.KeyFile)
	e.backends[i] = s
	e.health.set(i, true)
}

// killBackend SIGKILLs backend replica i; it counts as unhealthy from just
// before the signal.
func (e *env) killBackend(i int) {
	e.health.set(i, false)
	e.backends[i].Stop()
}

func (e *env) waitAvailable(timeout time.Duration) {
	e.t.Helper()
	framework.Eventually(e.t, timeout, func() bool {
		st, _ := availableOn(e.replicas[0])
		return st == "True"
	}, func() string {
		st, reason := availableOn(e.replicas[0])
		return "Available=" + st + " " + reason
	})
}

// apply creates every object of a multi-document manifest.
func apply(t *testing.T, client dynamic.Interface, manifest string) {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(manifest), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		gvk := obj.GroupVersionKind()
		resource := strings.ToLower(gvk.Kind) + "s"
		if gvk.Kind == "Endpoints" {
			resource = "endpoints"
		}
		r := client.Resource(schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: resource})
		var ri dynamic.ResourceInterface = r
		if ns := obj.GetNamespace(); ns != "" {
			ri = r.Namespace(ns)
		}
		ctx := context.Background()
		existing, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err == nil {
			obj.SetResourceVersion(existing.GetResourceVersion())
			_, err = ri.Update(ctx, obj, metav1.UpdateOptions{})
		} else {
			_, err = ri.Create(ctx, obj, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatalf("apply %s %s: %v", gvk.Kind, obj.GetName(), err)
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// backendHealth is when each backend replica was able to answer: up from
// its /readyz answering to just before it is killed or made to hang.
type backendHealth struct {
	mu      sync.Mutex
	up      []bool
	changes []healthChange
}

type healthChange struct {
	at      time.Time
	healthy int // backends healthy from this moment
}

func newBackendHealth(n int) *backendHealth {
	return &backendHealth{up: make([]bool, n), changes: []healthChange{{at: time.Now(), healthy: 0}}}
}

func (h *backendHealth) set(i int, up bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.up[i] = up
	n := 0
	for _, u := range h.up {
		if u {
			n++
		}
	}
	h.changes = append(h.changes, healthChange{at: time.Now(), healthy: n})
}

// healthyThroughout reports whether at least one backend was healthy at
// every moment of [from, to].
func (h *backendHealth) healthyThroughout(from, to time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, c := range h.changes {
		end := time.Now()
		if i+1 < len(h.changes) {
			end = h.changes[i+1].at
		}
		overlaps := c.at.Before(to) && end.After(from)
		if overlaps && c.healthy == 0 {
			return false
		}
	}
	return true
}
