package aggregator_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
	"github.com/aggkit/aggkit/pkg/deploy"
)

// Two control planes in one process each expose their own aggregator
// metrics: with the process-wide registry, the second one's were lost.
func TestTwoControlPlanesKeepTheirMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	groups := []string{"first.example.com", "second.example.com"}
	var admins []*rest.Config
	for _, group := range groups {
		cp := inprocess.StartForTest(ctx, t)
		// Nothing listens at port 1: the APIService stays unavailable and
		// its gauge is 1.
		local := deploy.Local{Name: "nobody", Namespace: "nobody", Group: group, Versions: []string{"v1"},
			Address: "127.0.0.1", Port: 1}
		if err := deploy.Apply(ctx, cp.Admin, deploy.LocalObjects(local), nil); err != nil {
			t.Fatal(err)
		}
		admins = append(admins, cp.Admin)
	}
	for i, admin := range admins {
		own, other := "v1."+groups[i], "v1."+groups[1-i]
		for {
			gauges := unavailableGauges(t, ctx, admin)
			if _, ok := gauges[other]; ok {
				t.Fatalf("control plane %d exposes the other's APIService %s: %v", i, other, gauges)
			}
			if gauges[own] == 1 {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("control plane %d: no aggregator_unavailable_apiservice{name=%q} 1 in /metrics: %v", i, own, gauges)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// unavailableGauges reads aggregator_unavailable_apiservice by name from
// the server's /metrics.
func unavailableGauges(t *testing.T, ctx context.Context, cfg *rest.Config) map[string]float64 {
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
	gauges := map[string]float64{}
	for _, m := range families["aggregator_unavailable_apiservice"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "name" {
				gauges[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	return gauges
}
