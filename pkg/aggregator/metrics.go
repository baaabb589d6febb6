package aggregator

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/aggkit/aggkit/pkg/aggregator/availability"
	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
)

// newRegistry registers the aggregation layer's metrics on a registry of
// this server's own, not the process-wide legacyregistry: a second control
// plane in one process (pkg/aggtest runs several) keeps its metrics.
func newRegistry(proxyMetrics *proxy.Metrics, availabilityMetrics *availability.Metrics) (metrics.KubeRegistry, error) {
	registry := metrics.NewKubeRegistry()
	if err := proxyMetrics.Register(registry.Register); err != nil {
		return nil, err
	}
	if err := availabilityMetrics.Register(registry.Register); err != nil {
		return nil, err
	}
	return registry, nil
}

// exposeMetrics serves registry on the server's /metrics next to the
// process-wide metrics the generic server exposes there. DELETE resets
// both, as the generic server's /metrics does.
func exposeMetrics(server *genericapiserver.GenericAPIServer, registry metrics.KubeRegistry) {
	gather := metrics.HandlerFor(prometheus.Gatherers{legacyregistry.DefaultGatherer, registry}, metrics.HandlerOpts{ErrorHandling: metrics.ContinueOnError})
	mux := server.Handler.NonGoRestfulMux
	mux.Unregister("/metrics")
	mux.Handle("/metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			legacyregistry.Reset()
			registry.Reset()
			return
		}
		gather.ServeHTTP(w, r)
	}))
}
