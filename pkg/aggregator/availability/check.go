package availability

import (
	"context"
	"errors"
	"fmt"
	"slices"

	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

// Reasons this package sets itself; the resolver supplies the others
// (ServiceNotFound, ServicePortError, ...). Clients match these strings.
const (
	ReasonPassed               = "Passed"
	ReasonFailedDiscoveryCheck = "FailedDiscoveryCheck"
	// MessagePassed is matched verbatim by the Kubernetes e2e test.
	MessagePassed = "all checks passed"
)

// observation is what one check found out about a remote APIService.
type observation struct {
	condition apiregistrationv1.APIServiceCondition
	// addrs and transport are set when the probe passed, for the watch.
	addrs     []string
	transport *backend.Transport
	// unreachable is set when the probe failed without reaching any
	// address: nothing listens, so probing again costs only refused dials.
	unreachable bool
}

// check resolves the APIService's Service and probes its backends. It never
// writes anything.
func (c *Controller) check(ctx context.Context, apiService *apiregistrationv1.APIService) observation {
	ref := apiService.Spec.Service
	addrs, err := c.resolver.Resolve(ref.Namespace, ref.Name, resolve.APIServicePort(ref))
	if err != nil {
		return observation{condition: resolveCondition(err, ref)}
	}
	// Sorted so a failure message (and so the stored status) does not
	// change with the resolver's order.
	addrs = slices.Sorted(slices.Values(addrs))

	transport, err := c.transports.For(apiService)
	if err != nil {
		return observation{condition: condition(apiregistrationv1.ConditionFalse, ReasonFailedDiscoveryCheck,
			fmt.Sprintf("cannot build the transport to the backend: %v", err))}
	}
	path := discoveryPath(apiService.Spec.Group, apiService.Spec.Version)
	if err := probe(ctx, transport.RoundTripper, transport.UpgradeRoundTripper, addrs, path, c.probeTimeout); err != nil {
		// A pooled connection to the wrong or a dead endpoint must not
		// keep failing the next probes (k/k#135883).
		evictFailed(transport, err)
		serverName := ""
		if transport.TLSConfig != nil {
			serverName = transport.TLSConfig.ServerName
		}
		return observation{
			condition: condition(apiregistrationv1.ConditionFalse, ReasonFailedDiscoveryCheck,
				failureMessage(err, apiService, serverName)),
			unreachable: noneReached(err),
		}
	}
	return observation{
		condition: condition(apiregistrationv1.ConditionTrue, ReasonPassed, MessagePassed),
		addrs:     addrs,
		transport: transport,
	}
}

// resolveCondition turns a resolver error into the condition Kubernetes
// would set: its reason and message when it is a *resolve.Error.
func resolveCondition(err error, ref *apiregistrationv1.ServiceReference) apiregistrationv1.APIServiceCondition {
	var resolveErr *resolve.Error
	if !errors.As(err, &resolveErr) {
		return condition(apiregistrationv1.ConditionUnknown, resolve.ReasonServiceAccessError,
			fmt.Sprintf("service/%s in %q cannot be checked due to: %v", ref.Name, ref.Namespace, err))
	}
	// The access errors mean the controller could not look, which says
	// nothing about the backend: Unknown, as upstream.
	status := apiregistrationv1.ConditionFalse
	if resolveErr.Reason == resolve.ReasonServiceAccessError || resolveErr.Reason == resolve.ReasonEndpointsAccessError {
		status = apiregistrationv1.ConditionUnknown
	}
	return condition(status, resolveErr.Reason, resolveErr.Message)
}

func condition(status apiregistrationv1.ConditionStatus, reason, message string) apiregistrationv1.APIServiceCondition {
	return apiregistrationv1.APIServiceCondition{
		Type:    apiregistrationv1.Available,
		Status:  status,
		Reason:  reason,
		Message: message,
	}
}

// noneReached reports whether the probe failed at every address without a
// connection being made.
func noneReached(err error) bool {
	var pe *probeError
	if !errors.As(err, &pe) {
		return false
	}
	for _, f := range pe.failures {
		if !f.unreached {
			return false
		}
	}
	return true
}

// evictFailed drops the pooled connections to the addresses that failed.
func evictFailed(transport *backend.Transport, err error) {
	var pe *probeError
	if !errors.As(err, &pe) {
		return
	}
	for _, f := range pe.failures {
		transport.CloseIdleConnections(f.addr)
	}
}
