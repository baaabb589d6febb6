package proxy

import (
	"net"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/component-base/metrics"
)

// One of two addresses refuses connections: every request still succeeds,
// and the metrics show the retries, the ejected address and one latency
// sample per answer.
func TestMetricsCountRetriesAndEjections(t *testing.T) {
	registry := metrics.NewKubeRegistry()
	m := NewMetrics()
	if err := m.Register(registry.Register); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.Metrics = m })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close() // nothing listens there: dialing fails
	b := h.startBackend(t, hello)
	h.route(t, closed.Addr().String(), b.Address)
	h.register(nil)
	const n = 4 // round robin starts on the closed address at least once
	for range n {
		if r := h.get(t, groupPath+"/flunders"); r.code != http.StatusOK {
			t.Fatalf("GET: %d %s", r.code, r.body)
		}
	}

	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	one := func(name string) *dto.Metric {
		t.Helper()
		for _, series := range byName[name].GetMetric() {
			for _, l := range series.GetLabel() {
				if l.GetName() == "name" && l.GetValue() == apiName {
					return series
				}
			}
		}
		t.Fatalf("%s has no series for %s", name, apiName)
		return nil
	}
	requests := one("aggregator_proxy_requests_total")
	retries := one("aggregator_proxy_retries_total").GetCounter().GetValue()
	ejections := one("aggregator_proxy_endpoint_ejections_total").GetCounter().GetValue()
	samples := one("aggregator_proxy_response_header_duration_seconds").GetHistogram().GetSampleCount()
	t.Logf("requests %v, retries %v, ejections %v, latency samples %d", requests.GetCounter().GetValue(), retries, ejections, samples)
	if got := requests.GetCounter().GetValue(); got != n {
		t.Errorf("requests: %v, want %d", got, n)
	}
	for _, l := range requests.GetLabel() {
		if want := map[string]string{"name": apiName, "verb": "GET", "code": "200"}[l.GetName()]; l.GetValue() != want {
			t.Errorf("label %s=%q, want %q", l.GetName(), l.GetValue(), want)
		}
	}
	if ejections < 1 || ejections > retries || retries > n {
		t.Errorf("want 1 <= ejections (%v) <= retries (%v) <= %d", ejections, retries, n)
	}
	if samples != n {
		t.Errorf("latency samples: %d, want %d", samples, n)
	}
}
