package availability

import (
	"strconv"
	"sync"

	"k8s.io/component-base/metrics"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Metrics are the availability metrics kube-aggregator exposes, with the same
// names and labels so dashboards and alerts keep working. Each controller owns
// its own Metrics (no package-level collectors), so two controllers can live in
// one process as long as they register on different registries.
type Metrics struct {
	// unavailable is 1 while this instance sees the APIService unavailable.
	unavailable *metrics.GaugeVec
	// transitions counts Available→not-Available transitions by reason.
	transitions *metrics.CounterVec
	// changes counts changes of this instance's view in both directions
	// (kube-aggregator has none); a new APIService starts not Available.
	changes *metrics.CounterVec
	mu      sync.Mutex
	seen    map[string]bool // last observed availability by APIService
}

// NewMetrics builds unregistered metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		unavailable: metrics.NewGaugeVec(&metrics.GaugeOpts{
			Name:           "aggregator_unavailable_apiservice",
			Help:           "Gauge of APIServices which are marked as unavailable broken down by APIService name.",
			StabilityLevel: metrics.ALPHA,
		}, []string{"name"}),
		transitions: metrics.NewCounterVec(&metrics.CounterOpts{
			Name:           "aggregator_unavailable_apiservice_total",
			Help:           "Counter of APIServices which are marked as unavailable broken down by APIService name and reason.",
			StabilityLevel: metrics.ALPHA,
		}, []string{"name", "reason"}),
		changes: metrics.NewCounterVec(&metrics.CounterOpts{
			Name:           "aggregator_apiservice_availability_transitions_total",
			Help:           "Changes of an APIService's availability as this server sees it, by APIService name and the new state (available true or false).",
			StabilityLevel: metrics.ALPHA,
		}, []string{"name", "available"}),
		seen: map[string]bool{},
	}
}

// Register adds the metrics through register: legacyregistry.Register for
// the process-wide registry, or the Register method of a registry of your own
// (metrics.NewKubeRegistry()).
func (m *Metrics) Register(register func(metrics.Registerable) error) error {
	if err := register(m.unavailable); err != nil {
		return err
	}
	if err := register(m.changes); err != nil {
		return err
	}
	return register(m.transitions)
}

// observe sets the gauge from cond and counts a transition to not-Available.
func (m *Metrics) observe(name string, wasAvailable bool, cond apiregistrationv1.APIServiceCondition) {
	isAvailable := cond.Status == apiregistrationv1.ConditionTrue
	value := 1.0
	if isAvailable {
		value = 0
	}
	m.unavailable.WithLabelValues(name).Set(value)
	if wasAvailable && !isAvailable {
		m.transitions.WithLabelValues(name, cond.Reason).Inc()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[name] != isAvailable {
		m.changes.WithLabelValues(name, strconv.FormatBool(isAvailable)).Inc()
	}
	m.seen[name] = isAvailable
}

// forget drops the gauge of a deleted (or now local) APIService.
func (m *Metrics) forget(name string) {
	m.unavailable.DeleteLabelValues(name)
	m.mu.Lock()
	delete(m.seen, name)
	m.mu.Unlock()
}
