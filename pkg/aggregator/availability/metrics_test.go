package availability

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/testutil"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Two controllers in one process, each with its own registry: one sees its
// APIService go from Available to FailedDiscoveryCheck, the other sees it pass.
func TestMetricsPerController(t *testing.T) {
	p := newPKI(t)
	const names = `aggregator_unavailable_apiservice aggregator_unavailable_apiservice_total`
	tests := []struct {
		name   string
		status int
		want   string
	}{{
		name:   "turns unavailable",
		status: http.StatusForbidden,
		want: `
# HELP aggregator_unavailable_apiservice [ALPHA] Gauge of APIServices which are marked as unavailable broken down by APIService name.
# TYPE aggregator_unavailable_apiservice gauge
aggregator_unavailable_apiservice{name="v1alpha1.wardle.example.com"} 1
# HELP aggregator_unavailable_apiservice_total [ALPHA] Counter of APIServices which are marked as unavailable broken down by APIService name and reason.
# TYPE aggregator_unavailable_apiservice_total counter
aggregator_unavailable_apiservice_total{name="v1alpha1.wardle.example.com",reason="FailedDiscoveryCheck"} 1
`,
	}, {
		name:   "stays available",
		status: http.StatusOK,
		want: `
# HELP aggregator_unavailable_apiservice [ALPHA] Gauge of APIServices which are marked as unavailable broken down by APIService name.
# TYPE aggregator_unavailable_apiservice gauge
aggregator_unavailable_apiservice{name="v1alpha1.wardle.example.com"} 0
`,
	}}

	type running struct {
		f        *fixture
		registry metrics.KubeRegistry
	}
	var controllers []running
	for _, tc := range tests {
		svc, objs := serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, tc.status)))
		svc.Status.Conditions = []apiregistrationv1.APIServiceCondition{condition(apiregistrationv1.ConditionTrue, ReasonPassed, MessagePassed)}
		m := NewMetrics()
		registry := metrics.NewKubeRegistry()
		if err := m.Register(registry.Register); err != nil {
			t.Fatalf("%s: register: %v", tc.name, err)
		}
		f := newFixture(t, p, Config{DisableConnectionWatch: true, Metrics: m}, []runtime.Object{svc}, objs...)
		controllers = append(controllers, running{f, registry})
	}
	for i, tc := range tests {
		f := controllers[i].f
		for range 2 { // the second probe confirms a failure
			if err := f.controller.sync(context.Background(), testAPIService); err != nil {
				t.Fatal(err)
			}
			f.observeStored(testAPIService)
		}
		if err := testutil.GatherAndCompare(controllers[i].registry, strings.NewReader(tc.want), strings.Fields(names)...); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	// A deleted APIService leaves the gauge.
	f := controllers[0].f
	if err := f.apiIndexer.Delete(f.stored(testAPIService)); err != nil {
		t.Fatal(err)
	}
	if err := f.controller.sync(context.Background(), testAPIService); err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(controllers[0].registry, strings.NewReader(tests[0].want[strings.Index(tests[0].want, "# HELP aggregator_unavailable_apiservice_total"):]), strings.Fields(names)...); err != nil {
		t.Errorf("after delete: %v", err)
	}
}
