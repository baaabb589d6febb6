package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// bigBackendSize is the body of .../things/big: far more than any
// socket, TLS or flow-control buffer between the backend and a client.
const bigBackendSize = 16 << 20

// startBigBackend serves group big.example.com/v1: discovery, and
// .../things/big, a 16 MiB answer whose written bytes it counts in sent.
func startBigBackend(t *testing.T, serving *framework.ServingCert, sent *atomic.Int64) *httptest.Server {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	chunk := []byte(strings.Repeat("x", 64<<10))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/apis/big.example.com/v1":
			_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "big.example.com/v1",
				APIResources: []metav1.APIResource{{Name: "things", Kind: "Thing", Namespaced: true, Verbs: []string{"get"}}}})
		case strings.HasSuffix(r.URL.Path, "/things/big"):
			w.Header().Set("Content-Type", "application/octet-stream")
			for written := 0; written < bigBackendSize; written += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				sent.Add(int64(len(chunk)))
			}
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

// stallSetup starts aggkit with args, the big backend registered, and a
// user alice who may do anything through RBAC but is not in
// system:masters, so the in-flight limit applies to her.
func stallSetup(t *testing.T, sent *atomic.Int64, args ...string) (*framework.Aggkit, *rest.Config) {
	t.Helper()
	a := framework.StartAggkit(t, "", args...)
	k := framework.NewKubectl(t, a.Kubeconfig)
	serving := framework.NewServingCert(t, "big", "api")
	backend := startBigBackend(t, serving, sent)
	registerBackend(t, k, serving, backend.URL, "big")
	k.MustRun("create", "clusterrolebinding", "alice-admin", "--clusterrole=cluster-admin", "--user=alice")
	cfg, err := clientcmdConfig(a.UserKubeconfig("alice"))
	if err != nil {
		t.Fatal(err)
	}
	return a, cfg
}

// TestStalledClientsGiveBackSeats: clients that never read hold every
// in-flight seat, and another user gets 429; at the request deadline
// (plus the server's short write grace) the blocked handlers fail their
// writes and give the seats back, so the other user is served again while
// the stalled clients still hold their connections. Without write
// deadlines the seats stayed taken for as long as the clients held on.
func TestStalledClientsGiveBackSeats(t *testing.T) {
	const limit = 3
	var sent atomic.Int64
	// The max-in-flight limiter answers 429 at once when full, which is
	// how this test sees the seats fill.
	a, cfg := stallSetup(t, &sent, "--request-timeout=4s", "--enable-priority-and-fairness=false", fmt.Sprintf("--max-requests-inflight=%d", limit))
	admin := a.Client()
	ctx := context.Background()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "stall"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A list of 12 MiB: more than the kernel buffers of both ends.
	value := strings.Repeat("v", 768<<10)
	for i := range 16 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("big-%d", i)}, Data: map[string]string{"v": value}}
		if _, err := admin.CoreV1().ConfigMaps("stall").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	alice := framework.HTTPClient(t, cfg)
	probe := func() int {
		resp, err := alice.Get(cfg.Host + "/api/v1/namespaces/default")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const list = "/api/v1/namespaces/stall/configmaps"
	const proxied = "/apis/big.example.com/v1/namespaces/default/things/big"
	kinds := []struct {
		name  string
		stall func() *stalledClient
	}{
		{"HTTP/1.1 built-in list", func() *stalledClient { return stallHTTP1(t, cfg, list) }},
		{"HTTP/2 /openapi/v2", func() *stalledClient { return stallHTTP2(t, cfg, "/openapi/v2", 1) }},
		{"HTTP/1.1 proxied", func() *stalledClient { return stallHTTP1(t, cfg, proxied) }},
		{"HTTP/2 proxied", func() *stalledClient { return stallHTTP2(t, cfg, proxied, 1) }},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-24s %-8s %-8s %-18s %s\n", "stalled clients", "clients", "filled", "seats back after", "HTTP/2 streams reset")
	for _, kind := range kinds {
		var stalls []*stalledClient
		for range limit {
			stalls = append(stalls, kind.stall())
		}
		// A stall that arrives while an earlier one still holds its seat
		// gets 429 (and hangs on that instead): add stalls until the
		// seats are full.
		filled := false
		var start time.Time
		for deadline, more := time.Now().Add(time.Minute), time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if probe() == http.StatusTooManyRequests {
				filled, start = true, time.Now()
				break
			}
			if time.Now().After(more) && len(stalls) < 3*limit {
				stalls, more = append(stalls, kind.stall()), time.Now().Add(time.Second)
			}
		}
		back := time.Duration(-1)
		if filled {
			for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if probe() == http.StatusOK {
					back = time.Since(start)
					break
				}
			}
		}
		resets := 0
		for _, s := range stalls {
			resets += int(s.resets.Load())
			s.Close()
		}
		fmt.Fprintf(&table, "%-24s %-8d %-8v %-18v %d\n", kind.name, len(stalls), filled, back.Round(100*time.Millisecond), resets)
		if !filled {
			t.Errorf("%s: %d stalled clients never filled the %d seats (no 429 for another user)", kind.name, len(stalls), limit)
		} else if back < 0 {
			t.Errorf("%s: another user still got 429 two minutes after the seats filled: handlers blocked on clients that never read keep their seats", kind.name)
		}
	}
	t.Logf("--request-timeout=4s, --max-requests-inflight=%d, write grace 5s:\n%s", limit, table.String())
}

// TestWriteDeadlineSparesLongRunning: the write deadline bounds only what
// --request-timeout bounds. A watch over HTTP/1.1 delivers an event well
// past request timeout plus grace, and a keep-alive connection idle past
// an earlier request's deadline serves the next request.
func TestWriteDeadlineSparesLongRunning(t *testing.T) {
	var sent atomic.Int64
	a, cfg := stallSetup(t, &sent, "--request-timeout=2s")
	tlsConfig, err := rest.TLSConfigFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	http1 := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}, MaxConnsPerHost: 1}}
	get := func(path string) error {
		resp, err := http1.Get(cfg.Host + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
	if err := get("/api/v1/namespaces/default"); err != nil {
		t.Fatal(err)
	}

	watchClient := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}
	resp, err := watchClient.Get(cfg.Host + "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=120")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 16)
	go func() {
		for lines := bufio.NewScanner(resp.Body); lines.Scan(); {
			events <- lines.Text()
		}
		close(events)
	}()

	// Past --request-timeout plus the write grace of every request so far.
	time.Sleep(2*time.Second + 5*time.Second + 2*time.Second)
	if err := get("/api/v1/namespaces/default"); err != nil {
		t.Errorf("GET on a keep-alive connection idle past the last request's write deadline: %v", err)
	}
	if _, err := a.Client().CoreV1().ConfigMaps("default").Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(time.Minute)
	for {
		select {
		case line, ok := <-events:
			if !ok {
				t.Fatal("the HTTP/1.1 watch ended before the event past the request timeout: a long-running request got a write deadline")
			}
			if strings.Contains(line, `"name":"late"`) {
				return
			}
		case <-timeout:
			t.Fatal("no event for configmap late on the HTTP/1.1 watch")
		}
	}
}
