package controlplane_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	certutil "k8s.io/client-go/util/cert"

	"github.com/aggkit/aggkit/pkg/controlplane"
)

// TestReplicasShareOnePKIDir: two replicas on one etcd, each started with
// only --pki-dir more than a single replica needs (at the same moment, so
// both find the directory empty), trust each other's clients and serve
// with certificates the other's admin kubeconfig verifies; a backend
// registered through one accepts the proxy of the other (issue 9).
func TestReplicasShareOnePKIDir(t *testing.T) {
	etcdURL := sharedEtcd(t)
	shared := filepath.Join(t.TempDir(), "shared-pki")
	withPKIDir := func(o *controlplane.Options) { o.PKIDir = shared }

	replicas := make([]*replica, 2)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { replicas[i] = newReplica(t, etcdURL, t.TempDir(), withPKIDir) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, r := range replicas {
		r.run().waitReady(t)
	}

	// The first replica's admin kubeconfig, pointed at the second: TLS is
	// verified (the kubeconfig carries a CA, never insecure), and the
	// second authenticates the first's admin certificate.
	first := replicas[0].adminConfig(t)
	if first.Insecure || len(first.CAData) == 0 {
		t.Fatalf("admin kubeconfig does not verify the server: insecure=%v, %d bytes of CA", first.Insecure, len(first.CAData))
	}
	atSecond := rest.CopyConfig(first)
	atSecond.Host = replicas[1].URL
	if _, err := kubeClient(t, atSecond).CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{}); err != nil {
		t.Fatalf("the first replica's admin kubeconfig against the second replica: %v", err)
	}

	backend := startIdentityBackend(t, kubeClient(t, first))
	backend.register(t, first)
	admin := clientCertCN(t, first)
	for i, cfg := range []*rest.Config{first, atSecond} {
		client := httpClient(t, cfg)
		var user, last string
		var code int
		deadline := time.Now().Add(time.Minute)
		for user == "" && time.Now().Before(deadline) {
			if user, code, last = proxiedUser(t, client, cfg.Host); user == "" {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if user != admin {
			t.Errorf("through replica %d the backend saw user %q, want %q (last answer %d %s)", i+1, user, admin, code, last)
		}
	}
}

func clientCertCN(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	certs, err := certutil.ParseCertsPEM(cfg.CertData)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0].Subject.CommonName
}

// TestAuthConfigMapConvergesAcrossReplicas: one replica generates its PKI
// (and so publishes requestheader-allowed-names ["aggregator"]); another is
// given the same front-proxy CA and proxy client certificate by flag, with
// no allowed names. Both publish kube-system/extension-apiserver-authentication;
// every version of it, while either runs, must hold a non-empty
// allowed-names list and one copy of the front-proxy CA, and they must
// agree (issue 9: the value flipped to [] and a backend then accepted any
// certificate of the front-proxy CA).
func TestAuthConfigMapConvergesAcrossReplicas(t *testing.T) {
	etcdURL := sharedEtcd(t)
	generated := startReplica(t, etcdURL, t.TempDir(), nil)
	admin := kubeClient(t, generated.adminConfig(t))
	cms := admin.CoreV1().ConfigMaps("kube-system")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	initial, err := cms.Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
	for i := 0; err != nil && i < 100; i++ {
		time.Sleep(100 * time.Millisecond)
		initial, err = cms.Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	// Every version is recorded, through whichever replica is up: a
	// watch ends with the replica serving it, and the next one resumes
	// from the last version seen.
	versions := []map[string]string{initial.Data}
	var mu sync.Mutex
	lastRV := initial.ResourceVersion
	follow := func(r *replica) (ended chan struct{}) {
		ended = make(chan struct{})
		cms := kubeClient(t, r.cfg).CoreV1().ConfigMaps("kube-system")
		w, err := cms.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=extension-apiserver-authentication", ResourceVersion: lastRV})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer close(ended)
			for ev := range w.ResultChan() {
				cm, ok := ev.Object.(*corev1.ConfigMap)
				if !ok || ev.Type == watch.Error || ev.Type == watch.Bookmark {
					continue
				}
				mu.Lock()
				versions = append(versions, cm.Data)
				lastRV = cm.ResourceVersion
				mu.Unlock()
			}
		}()
		return ended
	}
	// stopWatched stops r, then resumes the watch on other.
	stopWatched := func(r *replica, ended chan struct{}, other *replica) chan struct{} {
		r.stop()
		select {
		case <-ended:
		case <-time.After(30 * time.Second):
			t.Fatal("the watch did not end with its replica")
		}
		return follow(other)
	}
	watching := follow(generated)

	pkiDir := filepath.Join(filepath.Dir(generated.AdminKubeconfig), "pki")
	byFlags := func(o *controlplane.Options) {
		o.ClientCAFile = filepath.Join(pkiDir, "ca.crt")
		o.RequestHeader.ClientCAFile = filepath.Join(pkiDir, "front-proxy-ca.crt")
		o.ProxyClientCertFile = filepath.Join(pkiDir, "front-proxy-client.crt")
		o.ProxyClientKeyFile = filepath.Join(pkiDir, "front-proxy-client.key")
		o.SecureServing.ServerCert.CertKey.CertFile = filepath.Join(pkiDir, "apiserver.crt")
		o.SecureServing.ServerCert.CertKey.KeyFile = filepath.Join(pkiDir, "apiserver.key")
	}
	startFlagged := func() *replica {
		r := newReplica(t, etcdURL, t.TempDir(), byFlags)
		r.cfg = rest.CopyConfig(generated.adminConfig(t))
		r.cfg.Host = r.URL
		r.run().waitReady(t)
		return r
	}
	flagged := startFlagged()
	// Each replica writes when it starts: restart the first so that each
	// has written after the other.
	watching = stopWatched(generated, watching, flagged)
	generated = startReplica(t, etcdURL, filepath.Dir(generated.AdminKubeconfig), nil)
	cms = kubeClient(t, generated.adminConfig(t)).CoreV1().ConfigMaps("kube-system")
	time.Sleep(2 * time.Second) // let the last writes arrive; the checks below hold at any moment
	final, err := cms.Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A write by either replica now changes nothing: they agree.
	watching = stopWatched(flagged, watching, generated)
	flagged = startFlagged()
	time.Sleep(2 * time.Second)
	after, err := cms.Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-watching

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%-4s %-28s %s", "ver", "requestheader-allowed-names", "front-proxy CAs")
	for i, data := range versions {
		names := data["requestheader-allowed-names"]
		cas, _ := certutil.ParseCertsPEM([]byte(data["requestheader-client-ca-file"]))
		t.Logf("%-4d %-28s %d", i, names, len(cas))
		var list []string
		if err := json.Unmarshal([]byte(names), &list); err != nil || len(list) == 0 {
			t.Errorf("version %d of the ConfigMap publishes requestheader-allowed-names %q: a backend would accept any front-proxy certificate", i, names)
		}
		if len(cas) != 1 {
			t.Errorf("version %d publishes %d front-proxy CAs, want the one both replicas use", i, len(cas))
		}
	}
	if got := final.Data["requestheader-allowed-names"]; got != `["aggregator"]` {
		t.Errorf("converged requestheader-allowed-names = %s, want [\"aggregator\"]", got)
	}
	if after.ResourceVersion != final.ResourceVersion {
		t.Errorf("the ConfigMap changed after both replicas had written (%s -> %s): they do not agree\nbefore: %v\nafter: %v",
			final.ResourceVersion, after.ResourceVersion, final.Data, after.Data)
	}
}

// TestRestartingReplicaAnswers503UntilRegistered: requests for a
// registered remote APIService reach a replica from the moment it listens.
// Until it has installed the APIService's path they must answer 503 with
// Retry-After, never 404 (clients and controllers act on 404: issue 9 saw
// writes fail); and until its informers have synced, no answer may claim
// the Service or its endpoints are missing.
func TestRestartingReplicaAnswers503UntilRegistered(t *testing.T) {
	etcdURL := sharedEtcd(t)
	shared := filepath.Join(t.TempDir(), "shared-pki")
	withPKIDir := func(o *controlplane.Options) { o.PKIDir = shared }
	first := startReplica(t, etcdURL, t.TempDir(), withPKIDir)
	cfg := first.adminConfig(t)
	backend := startIdentityBackend(t, kubeClient(t, cfg))
	backend.register(t, cfg)
	client := httpClient(t, cfg)
	deadline := time.Now().Add(time.Minute)
	for {
		if user, _, _ := proxiedUser(t, client, cfg.Host); user != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the backend never answered through the first replica")
		}
		time.Sleep(100 * time.Millisecond)
	}

	for round := range 3 {
		second := newReplica(t, etcdURL, t.TempDir(), withPKIDir)
		atSecond := rest.CopyConfig(cfg)
		atSecond.Host = second.URL
		answers := hammer(t, atSecond, func() { second.run().waitReady(t) })
		second.stop()

		var kinds []string
		for kind, n := range answers.counts {
			kinds = append(kinds, fmt.Sprintf("%s x%d", kind, n))
		}
		sort.Strings(kinds)
		t.Logf("restart %d: %d requests before and just after /readyz: %s", round+1, answers.total, strings.Join(kinds, ", "))
		for _, bad := range answers.bad {
			t.Error(bad)
		}
		if answers.counts["200"] == 0 {
			t.Errorf("restart %d: no request succeeded", round+1)
		}
	}
}

type hammerResult struct {
	total  int
	counts map[string]int
	bad    []string
}

// hammer sends proxied requests to cfg from 4 goroutines while start runs
// and for a moment after, and sorts the answers.
func hammer(t *testing.T, cfg *rest.Config, start func()) hammerResult {
	t.Helper()
	res := hammerResult{counts: map[string]int{}}
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			client := httpClient(t, cfg)
			defer client.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(cfg.Host + backendPath)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				var status metav1.Status
				_ = json.NewDecoder(resp.Body).Decode(&status)
				resp.Body.Close()
				kind := fmt.Sprint(resp.StatusCode)
				switch {
				case strings.Contains(status.Message, "before all known HTTP paths have been installed"):
					kind += " paths not installed yet"
				case strings.Contains(status.Message, "not loaded Services and endpoints yet"):
					kind += " informers not synced yet"
				case status.Reason != "":
					kind += " " + string(status.Reason)
				}
				mu.Lock()
				res.total++
				res.counts[kind]++
				switch {
				case resp.StatusCode == http.StatusNotFound:
					res.bad = append(res.bad, fmt.Sprintf("404 for a registered APIService: %s", status.Message))
				case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "":
					res.bad = append(res.bad, fmt.Sprintf("503 while starting without Retry-After: %s", status.Message))
				case strings.Contains(status.Message, "ServiceNotFound") || strings.Contains(status.Message, "EndpointsNotFound"):
					res.bad = append(res.bad, fmt.Sprintf("%d claims a missing Service or endpoints that exist: %s", resp.StatusCode, status.Message))
				}
				mu.Unlock()
			}
		})
	}
	start()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	return res
}
