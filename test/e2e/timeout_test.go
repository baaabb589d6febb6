package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// slowBackend answers discovery for slow.example.com/v1, hangs on
// .../things/hang until the proxy gives up on it (counting such requests
// in hangs, and reporting each end on abandoned), and streams one line every 300ms for a watch.
func slowBackend(t *testing.T, serving *framework.ServingCert, watchLines int, hangs *atomic.Int32, abandoned chan<- struct{}) *httptest.Server {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/apis/slow.example.com/v1":
			_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "slow.example.com/v1",
				APIResources: []metav1.APIResource{{Name: "things", Kind: "Thing", Namespaced: true, Verbs: []string{"get", "list", "watch"}}}})
		case strings.HasSuffix(r.URL.Path, "/things/hang"):
			hangs.Add(1)
			<-r.Context().Done()
			abandoned <- struct{}{}
		case r.URL.Query().Get("watch") == "true":
			w.Header().Set("Content-Type", "application/json")
			for i := range watchLines {
				fmt.Fprintf(w, `{"type":"ADDED","object":{"kind":"Thing","apiVersion":"slow.example.com/v1","metadata":{"name":"t%d"}}}`+"\n", i)
				w.(http.Flusher).Flush()
				select {
				case <-time.After(300 * time.Millisecond):
				case <-r.Context().Done():
					return
				}
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

// TestProxiedRequestFilters: proxied requests take the proxy filter chain
// (controlplane/handlerchain.go), and it keeps what the default chain does
// for them: --request-timeout bounds a request the backend never answers
// (504 Timeout, as kube-apiserver's timeout filter answers, and the
// backend's request is cancelled) but not a watch, which is long-running;
// and a caller without credentials is refused before the proxy.
func TestProxiedRequestFilters(t *testing.T) {
	a := framework.StartAggkit(t, "", "--request-timeout=2s")
	k := framework.NewKubectl(t, a.Kubeconfig)
	serving := framework.NewServingCert(t, "slow", "api")
	abandoned := make(chan struct{}, 1)
	const watchLines = 12 // 3.6 s of events: longer than the request timeout
	var hangs atomic.Int32
	backend := slowBackend(t, serving, watchLines, &hangs, abandoned)
	registerBackend(t, k, serving, backend.URL, "slow")

	cfg := a.RESTConfig()
	client := framework.HTTPClient(t, cfg)
	base := cfg.Host + "/apis/slow.example.com/v1/namespaces/default/things"

	// The default chain records every filter's latency; the proxy chain does
	// not. Background requests (controllers over loopback) add a few, so
	// compare n proxied GETs with n built-in ones.
	const n = 40
	authorizations := func() int {
		return sumSamples(metricsText(t, client, cfg.Host), `apiserver_request_filter_duration_seconds_count{filter="authorization"}`)
	}
	before := authorizations()
	for range n {
		mustGet(t, client, cfg.Host+"/apis/slow.example.com/v1")
	}
	proxied := authorizations() - before
	before = authorizations()
	for range n {
		mustGet(t, client, cfg.Host+"/api/v1/namespaces/default")
	}
	builtin := authorizations() - before
	if proxied >= n/2 || builtin < n {
		t.Errorf("authorization filter latency recorded %d times for %d proxied GETs and %d times for %d built-in ones; want the proxied ones to skip the default chain", proxied, n, builtin, n)
	}

	status := framework.DoStatus(t, client, http.MethodGet, base+"/hang", "", "")
	if status.Code != http.StatusGatewayTimeout || status.Reason != metav1.StatusReasonTimeout {
		t.Errorf("hung backend: Status %d %s %q, want 504 Timeout", status.Code, status.Reason, status.Message)
	}
	select {
	case <-abandoned:
	case <-time.After(time.Minute):
		t.Error("the backend's request was never cancelled after the timeout")
	}

	resp, err := client.Get(base + "?watch=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("watch: HTTP %d", resp.StatusCode)
	}
	events := 0
	for lines := bufio.NewScanner(resp.Body); lines.Scan(); {
		events++
	}
	if events != watchLines {
		t.Errorf("watch through the proxy delivered %d of %d events: a long-running request was cut", events, watchLines)
	}

	anonymous := framework.HTTPClient(t, rest.AnonymousClientConfig(cfg))
	status = framework.DoStatus(t, anonymous, http.MethodGet, base+"/hang", "", "")
	if status.Code != http.StatusUnauthorized && status.Code != http.StatusForbidden {
		t.Errorf("a caller without credentials: Status %d %s, want 401 or 403", status.Code, status.Reason)
	}
	if n := hangs.Load(); n != 1 {
		t.Errorf("the backend got %d requests for things/hang, want only the authenticated one", n)
	}
}

func mustGet(t *testing.T, client *http.Client, url string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", url, resp.StatusCode)
	}
}

// sumSamples adds up the values of the metric lines that start with
// series (name and labels as far as given) in Prometheus text format.
func sumSamples(text, series string) int {
	series = strings.TrimSuffix(series, "}")
	total := 0
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, series) {
			continue
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			total += int(v)
		}
	}
	return total
}
