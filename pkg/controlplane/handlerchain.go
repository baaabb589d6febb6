package controlplane

import (
	"net/http"

	"github.com/aggkit/aggkit/pkg/aggregator"
	genericapifilters "k8s.io/apiserver/pkg/endpoints/filters"
	"k8s.io/apiserver/pkg/endpoints/filters/impersonation"
	genericfeatures "k8s.io/apiserver/pkg/features"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericfilters "k8s.io/apiserver/pkg/server/filters"
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
// bench/proxypath.
//
// Settings whose filters the proxy chain cannot rebuild from outside
// k8s.io/apiserver (priority and fairness, GOAWAY chance, the shutdown
// signals) send every request down the default chain.
func handlerChain(routes *aggregator.ProxyRoutes) func(http.Handler, *genericapiserver.Config) http.Handler {
	return func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		if c.FlowControl != nil || c.GoawayChance > 0 || c.ShutdownSendRetryAfter || c.ShutdownWatchTerminationGracePeriod > 0 {
			apiHandler = clearLongRunningWriteDeadline(apiHandler, c.LongRunningFunc)
			return withWriteDeadline(genericapiserver.DefaultBuildHandlerChain(apiHandler, c), c.RequestTimeout)
		}
		// Both chains share one in-flight limiter, so that the flags bound
		// every request together (two limiters made the real limit twice
		// the flag). The default chain cannot take it at its usual place,
		// so it sits just inside authorization in both chains.
		limited := genericfilters.WithMaxInFlightLimit(clearLongRunningWriteDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if routes.Proxied(r.URL.Path) {
				routes.ServeHTTP(w, r)
				return
			}
			apiHandler.ServeHTTP(w, r)
		}), c.LongRunningFunc), c.MaxRequestsInFlight, c.MaxMutatingRequestsInFlight, c.LongRunningFunc)
		unlimited := *c
		unlimited.MaxRequestsInFlight, unlimited.MaxMutatingRequestsInFlight = 0, 0
		full := genericapiserver.DefaultBuildHandlerChain(limited, &unlimited)
		proxied := proxyChain(limited, c)
		return withWriteDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if routes.Proxied(r.URL.Path) {
				proxied.ServeHTTP(w, r)
				return
			}
			full.ServeHTTP(w, r)
		}), c.RequestTimeout)
	}
}

// proxyChain is genericapiserver.DefaultBuildHandlerChain without tracing,
// filter latency tracking and the timeout goroutine, around limited: the
// shared in-flight limiter in front of the proxy itself rather than the
// server's mux; see handlerChain. Filters are listed innermost first, as
// there.
func proxyChain(limited http.Handler, c *genericapiserver.Config) http.Handler {
	handler := genericapifilters.WithAuthorization(limited, c.Authorization.Authorizer, c.Serializer)
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
	handler = genericapifilters.WithCacheControl(handler)
	handler = genericfilters.WithHSTS(handler, c.HSTSDirectives)
	handler = genericfilters.WithHTTPLogging(handler)
	handler = genericapifilters.WithLatencyTrackers(handler)
	handler = genericapifilters.WithRequestInfo(handler, c.RequestInfoResolver)
	handler = genericapifilters.WithRequestReceivedTimestamp(handler)
	handler = genericfilters.WithPanicRecovery(handler, c.RequestInfoResolver)
	return genericapifilters.WithAuditInit(handler)
}
