package doctor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"
)

// The aggregator's per-APIService metrics (pkg/aggregator/proxy) doctor
// reads.
const (
	requestsMetric = "aggregator_proxy_requests_total"
	latencyMetric  = "aggregator_proxy_response_header_duration_seconds"
)

// Traffic is what the aggregator's /metrics say about one APIService's
// proxied requests since that aggregator started.
type Traffic struct {
	Requests float64
	// Errors are the requests answered with a 5xx code.
	Errors float64
	// P99 is the upper bound of the latency bucket holding the 99th
	// percentile of the time to the backend's response headers; +Inf when
	// it is past the last bucket, 0 when nothing was measured.
	P99 float64
}

// ErrorRate is Errors over Requests, 0 without requests.
func (t Traffic) ErrorRate() float64 {
	if t.Requests == 0 {
		return 0
	}
	return t.Errors / t.Requests
}

func (t Traffic) String() string {
	if t.Requests == 0 {
		return "no request proxied since the aggregator started"
	}
	p99 := "over the last bucket"
	if !math.IsInf(t.P99, 1) {
		p99 = fmt.Sprintf("≤ %gs", t.P99)
	}
	return fmt.Sprintf("%.0f requests proxied since the aggregator started, %.1f%% answered 5xx, p99 time to backend headers %s",
		t.Requests, 100*t.ErrorRate(), p99)
}

// readTraffic scrapes the /metrics of the server client reaches.
func readTraffic(ctx context.Context, client rest.Interface, apiService string) (Traffic, error) {
	raw, err := client.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return Traffic{}, fmt.Errorf("read /metrics: %w", err)
	}
	return parseTraffic(bytes.NewReader(raw), apiService)
}

// parseTraffic reads apiService's traffic from a Prometheus text exposition.
func parseTraffic(r io.Reader, apiService string) (Traffic, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return Traffic{}, fmt.Errorf("parse /metrics: %w", err)
	}
	if families[requestsMetric] == nil {
		return Traffic{}, fmt.Errorf("/metrics has no %s: the aggregator is not aggkit's", requestsMetric)
	}
	var t Traffic
	for _, m := range families[requestsMetric].GetMetric() {
		if label(m, "name") != apiService {
			continue
		}
		n := m.GetCounter().GetValue()
		t.Requests += n
		if code := label(m, "code"); len(code) == 3 && code[0] == '5' {
			t.Errors += n
		}
	}
	for _, m := range families[latencyMetric].GetMetric() {
		if label(m, "name") == apiService {
			t.P99 = p99(m.GetHistogram())
		}
	}
	return t, nil
}

// p99 is the upper bound of the first bucket holding 99% of the samples.
func p99(h *dto.Histogram) float64 {
	if h.GetSampleCount() == 0 {
		return 0
	}
	want := 0.99 * float64(h.GetSampleCount())
	for _, b := range h.GetBucket() {
		if float64(b.GetCumulativeCount()) >= want {
			return b.GetUpperBound()
		}
	}
	return math.Inf(1)
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// printTraffic prints the APIService's recent traffic as the aggregator
// that answered counts it (with several replicas, that one's share).
func (d *doctor) printTraffic(ctx context.Context, apiService string, out io.Writer) *Traffic {
	t, err := readTraffic(ctx, d.core.Discovery().RESTClient(), apiService)
	if err != nil {
		fmt.Fprintf(out, "  traffic: not known: %v\n", err)
		return nil
	}
	fmt.Fprintf(out, "  traffic: %s\n", t)
	return &t
}
