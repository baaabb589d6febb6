package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// slowDelay is how long the fairness backend takes over .../things/slow.
const slowDelay = time.Second

// startFairnessBackend serves group fair.example.com/v1: discovery,
// .../things/slow (answered after slowDelay), .../things/quick (at once),
// and watches of .../things, held open until the request ends, counting
// how many it holds.
func startFairnessBackend(t *testing.T, serving *framework.ServingCert, watching *atomic.Int32) *httptest.Server {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	thing := `{"kind":"Thing","apiVersion":"fair.example.com/v1","metadata":{"name":"x"}}`
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/apis/fair.example.com/v1":
			_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "fair.example.com/v1",
				APIResources: []metav1.APIResource{{Name: "things", Kind: "Thing", Namespaced: true, Verbs: []string{"get", "list", "watch"}}}})
		case strings.HasSuffix(r.URL.Path, "/things/slow"):
			select {
			case <-time.After(slowDelay):
			case <-r.Context().Done():
			}
			fmt.Fprint(w, thing)
		case strings.HasSuffix(r.URL.Path, "/things/quick"):
			fmt.Fprint(w, thing)
		case strings.HasSuffix(r.URL.Path, "/things") && r.URL.Query().Get("watch") == "true":
			watching.Add(1)
			defer watching.Add(-1)
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// fairnessSetup starts aggkit with a budget of three seats
// (--max-requests-inflight=2 plus --max-mutating-requests-inflight=1)
// and args, the fairness backend, and users mallory and alice, who may do
// anything through RBAC but are not system:masters.
func fairnessSetup(t *testing.T, watching *atomic.Int32, args ...string) (mallory, alice *http.Client, host string) {
	t.Helper()
	a := framework.StartAggkit(t, "", append([]string{"--max-requests-inflight=2", "--max-mutating-requests-inflight=1"}, args...)...)
	k := framework.NewKubectl(t, a.Kubeconfig)
	serving := framework.NewServingCert(t, "fair", "api")
	registerBackend(t, k, serving, startFairnessBackend(t, serving, watching).URL, "fair")
	clients := map[string]*http.Client{}
	for _, user := range []string{"mallory", "alice"} {
		k.MustRun("create", "clusterrolebinding", user+"-admin", "--clusterrole=cluster-admin", "--user="+user)
		cfg, err := clientcmdConfig(a.UserKubeconfig(user))
		if err != nil {
			t.Fatal(err)
		}
		clients[user], host = framework.HTTPClient(t, cfg), cfg.Host
	}
	return clients["mallory"], clients["alice"], host
}

// fairnessResult is what a client got from one request.
type fairnessResult struct {
	path string
	code int
	took time.Duration
	pl   string
}

func timedGet(client *http.Client, url string) fairnessResult {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return fairnessResult{path: url, took: time.Since(start)}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return fairnessResult{path: url, code: resp.StatusCode, took: time.Since(start), pl: resp.Header.Get("X-Kubernetes-PF-PriorityLevel-UID")}
}

// TestFairnessBetweenUsers: mallory keeps 24 slow requests (built-in
// lists and proxied calls the backend answers after a second) going at
// once against a three-seat budget; alice's built-in and proxied requests
// still succeed, because priority and fairness queues each user's
// requests apart and gives a freed seat to the user who waits, where the
// max-in-flight limiter answered 429 to whoever came when the seats were
// full.
func TestFairnessBetweenUsers(t *testing.T) {
	var watching atomic.Int32
	mallory, alice, host := fairnessSetup(t, &watching)
	slow := host + "/apis/fair.example.com/v1/namespaces/default/things/slow"

	var stop atomic.Bool
	var flood sync.WaitGroup
	var floodCodes sync.Map // code -> *atomic.Int64
	count := func(code int) {
		c, _ := floodCodes.LoadOrStore(code, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
	}
	for range 24 {
		flood.Add(1)
		go func() {
			defer flood.Done()
			for !stop.Load() {
				count(timedGet(mallory, slow).code)
			}
		}()
	}
	// Let the flood fill the seats and the queues first.
	framework.Eventually(t, time.Minute, func() bool {
		c, ok := floodCodes.Load(http.StatusOK)
		return ok && c.(*atomic.Int64).Load() >= 6
	}, func() string { return "mallory's slow requests are not being served" })

	var results []fairnessResult
	for i := range 10 {
		path := "/api/v1/namespaces/default"
		if i%2 == 1 {
			path = "/apis/fair.example.com/v1/namespaces/default/things/quick"
		}
		results = append(results, timedGet(alice, host+path))
	}
	stop.Store(true)
	flood.Wait()

	var table strings.Builder
	fmt.Fprintf(&table, "%-60s %-5s %s\n", "alice's request while mallory floods", "code", "took")
	for _, r := range results {
		fmt.Fprintf(&table, "%-60s %-5d %v\n", strings.TrimPrefix(r.path, host), r.code, r.took.Round(time.Millisecond))
	}
	floodCodes.Range(func(code, n any) bool {
		fmt.Fprintf(&table, "mallory: HTTP %v x%d\n", code, n.(*atomic.Int64).Load())
		return true
	})
	t.Logf("three seats, 24 concurrent slow requests from mallory (each %v at the backend):\n%s", slowDelay, table.String())
	for _, r := range results {
		if r.code != http.StatusOK {
			t.Errorf("alice GET %s while mallory floods: HTTP %d, want 200", strings.TrimPrefix(r.path, host), r.code)
		}
		if r.pl == "" {
			t.Errorf("alice GET %s: no X-Kubernetes-PF-PriorityLevel-UID header: priority and fairness did not see it", strings.TrimPrefix(r.path, host))
		}
	}
}

// TestProxiedWatchesHoldNoSeat: a proxied watch gives its seat back once
// it is forwarded (the backend applies its own limits; the proxy calls
// utilflowcontrol.RequestDelegated, as kube-aggregator does), so more
// proxied watches than the budget has seats stay open and a built-in
// request still succeeds. Without that call half of the watches wait in
// the queue, holding no connection to the backend.
func TestProxiedWatchesHoldNoSeat(t *testing.T) {
	var watching atomic.Int32
	_, alice, host := fairnessSetup(t, &watching)
	const watches = 8
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range watches {
		go func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+"/apis/fair.example.com/v1/namespaces/default/things?watch=true", nil)
			if err != nil {
				return
			}
			resp, err := alice.Do(req)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	framework.Eventually(t, time.Minute, func() bool { return watching.Load() == watches }, func() string {
		return fmt.Sprintf("the backend holds %d of %d proxied watches", watching.Load(), watches)
	})
	r := timedGet(alice, host+"/api/v1/namespaces/default")
	t.Logf("%d proxied watches open on a three-seat budget; built-in GET: HTTP %d in %v", watching.Load(), r.code, r.took.Round(time.Millisecond))
	if r.code != http.StatusOK {
		t.Errorf("built-in GET with %d proxied watches open: HTTP %d, want 200", watches, r.code)
	}
	// End the watches, or the backend's Close would wait for them.
	cancel()
	framework.Eventually(t, time.Minute, func() bool { return watching.Load() == 0 }, func() string {
		return fmt.Sprintf("the backend still holds %d proxied watches after the client ended them", watching.Load())
	})
}
