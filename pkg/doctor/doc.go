// Package doctor walks the chain a person checks by hand when an aggregated
// API does not answer, and says which link is broken and how to fix it.
//
// For each APIService that has spec.service the links are, in order:
//
//	apiservice  the APIService exists; its Available condition is shown
//	service     the Service exists and has the port spec.service.port names
//	endpoints   EndpointSlices (else Endpoints) have ready addresses for it
//	tls         a handshake with an endpoint verifies with spec.caBundle and
//	            the server name <service>.<namespace>.svc
//	aggregator  the backend accepts the aggregator's proxy client certificate
//	discovery   /apis/<group>/<version> answers through the aggregator
//	identity    the server's ServiceAccount may read the authentication
//	            ConfigMap and delegate authentication and authorization
//
// The walk stops explaining at the first broken link: later links that
// depend on it are skipped. identity does not depend on the network links
// and is checked whenever the APIService exists, because a server that
// cannot read its ConfigMap does not start, which is what the network links
// then show. Links whose answer doctor cannot see from where it runs (an
// endpoint not reachable from a laptop, a review the caller may not create)
// are skipped, never failed.
//
// doctor only reads; it never changes the cluster.
package doctor
