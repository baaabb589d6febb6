package controlplane

import (
	"net/http"

	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
	genericapifilters "k8s.io/apiserver/pkg/endpoints/filters"
	"k8s.io/apiserver/pkg/endpoints/filters/impersonation"
	genericfeatures "k8s.io/apiserver/pkg/features"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericfilters "k8s.io/apiserver/pkg/server/filters"
	flowcontrolrequest "k8s.io/apiserver/pkg/util/flowcontrol/request"
)

// handlerChain returns the generic server's filter chain builder: the
// default chain, and beside it a shorter one for requests the aggregator
// proxies, chosen per request by path.
//
// A proxied request is a backend's work; aggkit's part is to authenticate,
// audit, limit, authorize and forward it. The proxy chain keeps every filter
// that does that, in the default order, and leaves out what costs a
// proxied request without serving it: OpenTelemetry instrumentation (aggkit
// has no tracing configuration; trace headers still reach the backend),
// the per-filter latency metrics, and the timeout filter's extra goroutine
// (the request deadline is set as in the default chain and the proxy stops
// at it, answering 504 like the timeout filter). Measured with
// bench/proxypath. testdata/proxychain-filters.txt says, filter by
// filter, what the proxy chain keeps of upstream's and why it leaves the
// rest (TestProxyChainTracksUpstreamFilters keeps it true).
//
// Both chains draw on one in-flight budget. With priority and fairness,
// both take c.FlowControl at the default chain's place: the budget lives
// in that one instance. Without it, one max-in-flight limiter (which
// holds its seats itself, so two would double the flags) sits just inside
// authorization in both chains.
//
// The shutdown settings need lifecycle signals private to
// k8s.io/apiserver, so they send every request down the default chain.
func handlerChain(remote *proxy.Handler) func(http.Handler, *genericapiserver.Config) http.Handler {
	return func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		if c.ShutdownSendRetryAfter || c.ShutdownWatchTerminationGracePeriod > 0 {
			apiHandler = clearLongRunningWriteDeadline(apiHandler, c.LongRunningFunc)
			return withWriteDeadline(genericapiserver.DefaultBuildHandlerChain(apiHandler, c), c.RequestTimeout)
		}
		var full, proxied http.Handler
		if c.FlowControl != nil {
			full = genericapiserver.DefaultBuildHandlerChain(clearLongRunningWriteDeadline(apiHandler, c.LongRunningFunc), c)
			proxied = proxyChain(clearLongRunningWriteDeadline(remote, c.LongRunningFunc), c)
		} else {
			limited := genericfilters.WithMaxInFlightLimit(clearLongRunningWriteDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if remote.Proxies(r.URL.Path) {
					remote.ServeHTTP(w, r)
					return
				}
				apiHandler.ServeHTTP(w, r)
			}), c.LongRunningFunc), c.MaxRequestsInFlight, c.MaxMutatingRequestsInFlight, c.LongRunningFunc)
			unlimited := *c
			unlimited.MaxRequestsInFlight, unlimited.MaxMutatingRequestsInFlight = 0, 0
			full = genericapiserver.DefaultBuildHandlerChain(limited, &unlimited)
			proxied = proxyChain(limited, c)
		}
		return withWriteDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if remote.Proxies(r.URL.Path) {
				growStack()
				proxied.ServeHTTP(w, r)
				return
			}
			full.ServeHTTP(w, r)
		}), c.RequestTimeout)
	}
}

// proxyChain is genericapiserver.DefaultBuildHandlerChain without tracing,
// filter latency tracking and the timeout goroutine, around the proxy
// itself rather than the server's mux; see handlerChain. Filters are
// listed innermost first, as there.
func proxyChain(remote http.Handler, c *genericapiserver.Config) http.Handler {
	handler := genericapifilters.WithAuthorization(remote, c.Authorization.Authorizer, c.Serializer)
	if c.FlowControl != nil {
		// The work estimator and wait limit of the default chain.
		estimate := flowcontrolrequest.NewWorkEstimator(c.StorageObjectCountTracker.Get, c.FlowControl.GetInterestedWatchCount,
			flowcontrolrequest.DefaultWorkEstimatorConfig(), c.FlowControl.GetMaxSeats)
		handler = genericfilters.WithPriorityAndFairness(handler, c.LongRunningFunc, c.FlowControl, estimate, c.RequestTimeout/4)
	}
	if c.FeatureGate.Enabled(genericfeatures.ConstrainedImpersonation) {
		handler = impersonation.WithConstrainedImpersonation(handler, c.Authorization.Authorizer, c.Serializer)
	} else {
		handler = impersonation.WithImpersonation(handler, c.Authorization.Authorizer, c.Serializer)
	}
	handler = genericapifilters.WithAudit(handler, c.AuditBackend, c.AuditPolicyRuleEvaluator, c.LongRunningFunc)
	failed := genericapifilters.Unauthorized(c.Serializer)
	failed = genericapifilters.WithFailedAuthenticationAudit(failed, c.AuditBackend, c.AuditPolicyRuleEvaluator)
	handler = genericapifilters.WithAuthentication(handler, c.Authentication.Authenticator, failed, c.Authentication.APIAudiences, c.Authentication.RequestHeaderConfig)
	handler = genericfilters.WithCORS(handler, c.CorsAllowedOriginList, nil, nil, nil, "true")
	handler = genericapifilters.WithWarningRecorder(handler)
	handler = genericapifilters.WithRequestDeadline(handler, c.AuditBackend, c.AuditPolicyRuleEvaluator, c.LongRunningFunc, c.Serializer, c.RequestTimeout)
	handler = genericfilters.WithWaitGroup(handler, c.LongRunningFunc, c.NonLongRunningRequestWaitGroup)
	if c.SecureServing != nil && !c.SecureServing.DisableHTTP2 && c.GoawayChance > 0 {
		handler = genericfilters.WithProbabilisticGoaway(handler, c.GoawayChance)
	}
	handler = genericapifilters.WithCacheControl(handler)
	handler = genericfilters.WithHSTS(handler, c.HSTSDirectives)
	handler = genericfilters.WithHTTPLogging(handler)
	handler = genericapifilters.WithLatencyTrackers(handler)
	handler = genericapifilters.WithRequestInfo(handler, c.RequestInfoResolver)
	handler = genericapifilters.WithRequestReceivedTimestamp(handler)
	handler = genericfilters.WithPanicRecovery(handler, c.RequestInfoResolver)
	return genericapifilters.WithAuditInit(handler)
}

// proxyStackPad is how much stack growStack claims. The HTTP/2 server runs
// each request on a new goroutine with a small stack, and the proxy chain
// (filters, priority and fairness, ReverseProxy, the HTTP/2 client) needs
// 16 KiB: the stack used to grow two or three times per request, each time
// copying every frame below, about a sixth of the chain's CPU
// (bench/proxypath, runtime.copystack). 12 KiB plus what lies below lands
// on exactly 16 KiB, the largest size the runtime keeps in its per-P stack
// caches; a larger pad would take a 32 KiB stack from the heap instead.
const proxyStackPad = 12 << 10

// growStack grows the calling goroutine's stack to 16 KiB in one step while
// it is still shallow, so that the copy is cheap and no frame deeper in the
// chain grows it again.
//
//go:noinline
func growStack() {
	var pad [proxyStackPad]byte
	keepOnStack(pad[:])
}

// keepOnStack keeps pad from being optimized away; it does not let it
// escape, so pad stays in growStack's frame.
//
//go:noinline
func keepOnStack(pad []byte) { pad[len(pad)-1] = 0 }
