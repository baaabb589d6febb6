package doctor_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/doctor"
	"github.com/aggkit/aggkit/pkg/pki"
)

const (
	group      = "traffic.example.com"
	apiService = "v1." + group
	objects    = "/apis/" + group + "/v1/namespaces/default/things/"
)

// TestAPIServiceMetrics drives requests through a real control plane to a
// real TLS backend, reads the aggregator's /metrics with a Prometheus text
// parser and checks the per-APIService series, then what doctor prints
// from them.
func TestAPIServiceMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cp := inprocess.StartForTest(ctx, t)
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	backend, port := startBackend(t, ca)
	local := deploy.Local{Name: "traffic", Namespace: "traffic", Group: group, Versions: []string{"v1"},
		Address: "127.0.0.1", Port: port, CABundle: ca.CertPEM()}
	if err := deploy.Apply(ctx, cp.Admin, deploy.LocalObjects(local), nil); err != nil {
		t.Fatal(err)
	}
	if err := deploy.WaitAvailable(ctx, cp.Admin, []string{apiService}, nil); err != nil {
		t.Fatal(err)
	}

	client, err := rest.HTTPClientFor(cp.Admin)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, want int) {
		t.Helper()
		resp, err := client.Get(cp.Admin.Host + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	for range 5 {
		get(objects+"ok", http.StatusOK)
	}
	for range 2 {
		get(objects+"boom", http.StatusInternalServerError)
	}

	m := scrape(t, ctx, cp.Admin)
	requests := func(code string) float64 {
		return value(m, "aggregator_proxy_requests_total", map[string]string{"name": apiService, "verb": "GET", "code": code})
	}
	if got := requests("200"); got != 5 {
		t.Errorf("requests with code 200: %v, want 5", got)
	}
	if got := requests("500"); got != 2 {
		t.Errorf("requests with code 500: %v, want 2", got)
	}
	if got := histogramCount(m, "aggregator_proxy_response_header_duration_seconds", apiService); got != 7 {
		t.Errorf("latency samples: %d, want 7 (one per backend answer)", got)
	}
	if got := value(m, "aggregator_proxy_retries_total", map[string]string{"name": apiService}); got != 0 {
		t.Errorf("retries with one healthy address: %v, want 0", got)
	}
	if got := value(m, "aggregator_apiservice_availability_transitions_total", map[string]string{"name": apiService, "available": "true"}); got != 1 {
		t.Errorf("transitions to available: %v, want 1", got)
	}
	if got := value(m, "aggregator_unavailable_apiservice", map[string]string{"name": apiService}); got != 0 {
		t.Errorf("kube's aggregator_unavailable_apiservice: %v, want 0", got)
	}

	var out bytes.Buffer
	report, err := doctor.Run(ctx, cp.Admin, apiService, &out)
	if err != nil {
		t.Fatal(err)
	}
	// doctor's own discovery check is proxied too: compare with /metrics
	// read after it.
	var total float64
	for _, series := range scrape(t, ctx, cp.Admin)["aggregator_proxy_requests_total"].GetMetric() {
		for _, l := range series.GetLabel() {
			if l.GetName() == "name" && l.GetValue() == apiService {
				total += series.GetCounter().GetValue()
			}
		}
	}
	tr := report.APIServices[0].Traffic
	if total < 7 || tr == nil || tr.Requests != total || tr.Errors != 2 || tr.P99 <= 0 {
		t.Errorf("doctor's traffic: %+v, want %v requests, 2 errors and a p99\n%s", tr, total, out.String())
	}
	if want := fmt.Sprintf("traffic: %.0f requests proxied since the aggregator started, %.1f%% answered 5xx", total, 200/total); !strings.Contains(out.String(), want) {
		t.Errorf("doctor output lacks %q:\n%s", want, out.String())
	}

	// The backend goes away: the aggregator answers 503 and sees the
	// APIService become unavailable.
	backend.Close()
	get(objects+"ok", http.StatusServiceUnavailable)
	for {
		m = scrape(t, ctx, cp.Admin)
		if value(m, "aggregator_apiservice_availability_transitions_total", map[string]string{"name": apiService, "available": "false"}) == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("no transition to unavailable in /metrics")
		case <-time.After(200 * time.Millisecond):
		}
	}
	if got := requests("503"); got != 1 {
		t.Errorf("requests with code 503: %v, want 1", got)
	}
	if got := value(m, "aggregator_unavailable_apiservice", map[string]string{"name": apiService}); got != 1 {
		t.Errorf("kube's aggregator_unavailable_apiservice: %v, want 1", got)
	}
	// Whether the request found the address failing (ejecting it) or the
	// APIService already unavailable (refused before dialing) depends on
	// timing; it can never be ejected twice.
	ejections := value(m, "aggregator_proxy_endpoint_ejections_total", map[string]string{"name": apiService})
	t.Logf("ejections after the backend stopped: %v", ejections)
	if ejections > 1 {
		t.Errorf("ejections: %v, want at most 1", ejections)
	}
}

// startBackend serves discovery and things over TLS for the Service
// "traffic": "boom" answers 500, anything else 200.
func startBackend(t *testing.T, ca *pki.CA) (*httptest.Server, int) {
	t.Helper()
	cert, key, err := ca.Issue(pki.CertSpec{CommonName: "traffic", DNSNames: deploy.ServiceDNSNames("traffic", "traffic"), Server: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/apis/"+group+"/v1":
			_, _ = w.Write([]byte(`{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"` + group + `/v1","resources":[]}`))
		case strings.HasSuffix(r.URL.Path, "/boom"):
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","code":500}`))
		default:
			_, _ = w.Write([]byte(`{"kind":"Thing","apiVersion":"` + group + `/v1","metadata":{"name":"ok"}}`))
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, srv.Listener.Addr().(*net.TCPAddr).Port
}

// scrape parses the control plane's /metrics.
func scrape(t *testing.T, ctx context.Context, cfg *rest.Config) map[string]*dto.MetricFamily {
	t.Helper()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/metrics", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// value is the counter or gauge of the series with exactly these labels,
// 0 when there is none.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	for _, m := range families[name].GetMetric() {
		if hasLabels(m, labels) {
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func histogramCount(families map[string]*dto.MetricFamily, name, apiService string) uint64 {
	for _, m := range families[name].GetMetric() {
		if hasLabels(m, map[string]string{"name": apiService}) {
			return m.GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	if len(m.GetLabel()) != len(want) {
		return false
	}
	for _, l := range m.GetLabel() {
		if want[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}
