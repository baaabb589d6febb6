package aggtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/component-base/featuregate"

	"github.com/aggkit/aggkit/examples/wardle/server"
	"github.com/aggkit/aggkit/pkg/aggtest"
	"github.com/aggkit/aggkit/pkg/controlplane"
)

// Two control planes and two extension servers in one process each keep
// their own feature gates, settings and aggregator metrics (issue 12):
// nothing one sets or counts shows in the other, nor in the process default.
func TestEnvironmentsKeepTheirOwnState(t *testing.T) {
	// On by default at this Kubernetes version; k8s.io/apiserver picks the
	// impersonation filter of each server's chain by it.
	const gate = featuregate.Feature("ConstrainedImpersonation")
	if !utilfeature.DefaultFeatureGate.Enabled(gate) {
		t.Fatalf("%s is off by default; pick a gate that is on", gate)
	}
	serverA, serverB := server.New(), server.New()
	if err := serverA.Options().FeatureGate.Set(string(gate) + "=false"); err != nil {
		t.Fatal(err)
	}
	var gatesA, gatesB featuregate.FeatureGate
	a := aggtest.Start(t, serverA, aggtest.WithControlPlane(func(o *controlplane.Options) {
		o.ServiceNodePortRange = utilnet.PortRange{Base: 30100, Size: 10}
		if err := o.FeatureGate.Set(string(gate) + "=false"); err != nil {
			t.Error(err)
		}
		gatesA = o.FeatureGate
	}))
	b := aggtest.Start(t, serverB, aggtest.WithNamespace("wardle-b"), aggtest.WithControlPlane(func(o *controlplane.Options) {
		o.ServiceNodePortRange = utilnet.PortRange{Base: 30200, Size: 10}
		gatesB = o.FeatureGate
	}))

	t.Run("feature gates", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			gates featuregate.FeatureGate
			want  bool
		}{
			{"server a", serverA.Options().FeatureGate, false},
			{"server b", serverB.Options().FeatureGate, true},
			{"control plane a", gatesA, false},
			{"control plane b", gatesB, true},
			{"process default", utilfeature.DefaultFeatureGate, true},
		} {
			if got := tc.gates.Enabled(gate); got != tc.want {
				t.Errorf("%s: %s=%v, want %v", tc.name, gate, got, tc.want)
			}
		}
	})

	t.Run("settings", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			cfg  *rest.Config
			base int
		}{{"a", a.Config, 30100}, {"b", b.Config, 30200}} {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "node-port"}, Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}}}
			got, err := kubernetes.NewForConfigOrDie(tc.cfg).CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("control plane %s: %v", tc.name, err)
			}
			if port := int(got.Spec.Ports[0].NodePort); port < tc.base || port >= tc.base+10 {
				t.Errorf("control plane %s allocated node port %d, outside its range %d-%d", tc.name, port, tc.base, tc.base+9)
			}
		}
	})

	t.Run("metrics", func(t *testing.T) {
		const apiService = "v1beta1.wardle.example.com" // registered in both
		beforeA, beforeB := proxiedRequests(t, a.Config, apiService), proxiedRequests(t, b.Config, apiService)
		for range 3 {
			countFlunders(t, a.Config, 0)
		}
		countFlunders(t, b.Config, 0)
		gotA := proxiedRequests(t, a.Config, apiService) - beforeA
		gotB := proxiedRequests(t, b.Config, apiService) - beforeB
		if gotA != 3 || gotB != 1 {
			t.Errorf("aggregator_proxy_requests_total{name=%q} rose by %v in a and %v in b, want 3 and 1", apiService, gotA, gotB)
		}
	})
}

// proxiedRequests sums aggregator_proxy_requests_total for apiService in
// the control plane's /metrics.
func proxiedRequests(t *testing.T, cfg *rest.Config, apiService string) float64 {
	t.Helper()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(strings.TrimSuffix(cfg.Host, "/") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	var sum float64
	if f := families["aggregator_proxy_requests_total"]; f != nil {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "name" && l.GetValue() == apiService {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
