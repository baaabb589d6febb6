// Package topology starts the production topology of aggkit on loopback,
// from real processes built at the versions go.mod pins, for the fault
// suite (test/chaos) and the soak (bench/soak).
package topology

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
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/pkg/pki"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// BackendHosts are the two sample-apiserver replicas' addresses: one
// Service port, two loopback IPs, as two pods behind a Service.
var BackendHosts = []string{"127.0.0.1", "127.0.0.2"}

// Topology is what aggkit runs in production, on loopback: a three-member
// etcd cluster, three `aggkit serve` replicas sharing one PKI with
// --apiservice-availability-lease, and two sample-apiserver replicas
// behind one Service, registered as wardle.example.com/v1alpha1.
type Topology struct {
	t        testing.TB
	Etcd     *EtcdCluster
	Replicas []*framework.Aggkit
	// Partition[i] stands between the last replica and etcd member i.
	Partition []*TCPProxy
	// APILB spreads the backends' calls to aggkit (token and access reviews,
	// informers) over the replicas, as the kubernetes Service does.
	APILB      *TCPProxy
	Backends   []*framework.SampleAPIServer
	Port       int
	Serving    *framework.ServingCert
	Kubeconfig string
	namespace  string
}

// Start starts etcd, the aggkit replicas, registers sample-apiserver
// (creating namespace for the caller's objects) and starts its two
// replicas, and waits until the APIService is Available. Everything stops
// when t's cleanups run.
func Start(t testing.TB, namespace string) *Topology {
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
	e := &Topology{t: t, Etcd: StartEtcdCluster(t, 3), namespace: namespace}
	phase("etcd cluster healthy")
	urls := e.Etcd.ClientURLs()
	for _, u := range urls {
		e.Partition = append(e.Partition, StartTCPProxy(t, strings.TrimPrefix(u, "http://")))
	}
	var viaProxy []string
	for _, p := range e.Partition {
		viaProxy = append(viaProxy, "http://"+p.Addr())
	}
	lease := "--apiservice-availability-lease"
	first := framework.StartAggkit(t, "", "--etcd-servers", strings.Join(urls, ","), lease)
	phase("first aggkit ready")
	// The others share its PKI (today that means copying pki/) and start
	// together; a failed start fails the test from its goroutine.
	e.Replicas = []*framework.Aggkit{first, nil, nil}
	var starts sync.WaitGroup
	for i := 1; i < 3; i++ {
		dir := t.TempDir()
		copyDir(t, filepath.Join(first.DataDir, "pki"), filepath.Join(dir, "pki"))
		servers := urls
		if i == 2 {
			servers = viaProxy
		}
		starts.Go(func() {
			e.Replicas[i] = framework.StartAggkit(t, dir, "--etcd-servers", strings.Join(servers, ","), lease)
		})
	}
	starts.Wait()
	if t.Failed() {
		t.FailNow()
	}
	phase("three aggkit replicas ready")
	var addrs []string
	for _, a := range e.Replicas {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", a.Port))
	}
	e.APILB = StartTCPProxy(t, addrs...)
	e.register()
	e.Backends = make([]*framework.SampleAPIServer, len(BackendHosts))
	for i := range BackendHosts {
		starts.Go(func() { e.StartBackend(i) })
	}
	starts.Wait()
	if t.Failed() {
		t.FailNow()
	}
	phase("backends ready")
	e.WaitAvailable(90 * time.Second)
	phase("APIService Available")
	return e
}

// register applies the registration a Kubernetes user applies (the e2e
// framework's manifest) through the API, with both backend addresses in
// the Endpoints, and writes the backends' token kubeconfig.
func (e *Topology) register() {
	t := e.t
	e.Serving = framework.NewServingCert(t, "wardle", "api")
	e.Port = framework.FreePort(t)
	manifest := framework.RegistrationManifest("wardle", "api", "wardle.example.com", "v1alpha1", e.Port, e.Serving.CA.CertPEM())
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
`, BackendHosts[0], BackendHosts[1], e.Port, e.namespace)
	cfg := e.Replicas[0].RESTConfig()
	cfg.WarningHandler = rest.NoWarnings{} // the manifest's Endpoints are deprecated, and meant
	apply(t, dynamic.NewForConfigOrDie(cfg), manifest)

	ctx := context.Background()
	expiry := int64(7200)
	token, err := e.Replicas[0].Client().CoreV1().ServiceAccounts("wardle").CreateToken(ctx, "apiserver",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(e.Replicas[0].DataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	e.Kubeconfig = filepath.Join(t.TempDir(), "backend.kubeconfig")
	if err := (pki.Kubeconfig{Server: "https://" + e.APILB.Addr(), CAPEM: ca, Token: token.Status.Token}).Write(e.Kubeconfig); err != nil {
		t.Fatal(err)
	}
}

// StartBackend starts sample-apiserver replica i at its registered address
// and returns once it answers /readyz.
func (e *Topology) StartBackend(i int) {
	e.Backends[i] = framework.StartSampleAPIServerAt(e.t, BackendHosts[i], e.Port, strings.Join(e.Etcd.ClientURLs(), ","), e.Kubeconfig,
		"--tls-cert-file", e.Serving.CertFile, "--tls-private-key-file", e.Serving.KeyFile)
}

// WaitAvailable waits until the first replica shows the APIService
// Available, failing t after timeout.
func (e *Topology) WaitAvailable(timeout time.Duration) {
	e.t.Helper()
	framework.Eventually(e.t, timeout, func() bool {
		st, _ := AvailableOn(e.Replicas[0])
		return st == "True"
	}, func() string {
		st, reason := AvailableOn(e.Replicas[0])
		return "Available=" + st + " " + reason
	})
}

// AvailableOn reads the Available condition through one replica.
func AvailableOn(a *framework.Aggkit) (status, reason string) {
	client, err := aggregatorclient.NewForConfig(a.RESTConfig())
	if err != nil {
		return "", err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	svc, err := client.ApiregistrationV1().APIServices().Get(ctx, framework.WardleAPIService, metav1.GetOptions{})
	if err != nil {
		return "", err.Error()
	}
	for _, c := range svc.Status.Conditions {
		if c.Type == apiregistrationv1.Available {
			return string(c.Status), c.Reason
		}
	}
	return "", "no Available condition"
}

// apply creates every object of a multi-document manifest.
func apply(t testing.TB, client dynamic.Interface, manifest string) {
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

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
