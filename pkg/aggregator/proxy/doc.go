// Package proxy serves the requests of remote APIServices (spec.service set)
// by forwarding them to the Service's backends, as kube-aggregator's
// handler_proxy.go does.
//
// One Handler serves every remote APIService: install it on the generic
// server's NonGoRestfulMux for "/apis/<group>/<version>" and the prefix
// "/apis/<group>/<version>/", and keep it told about each APIService with
// UpdateAPIService and RemoveAPIService. The handler runs behind the generic
// filter chain, which has authenticated the caller (and applied
// impersonation); the resulting user is forwarded in X-Remote-* headers over
// mTLS with the proxy client certificate, and everything the caller sent that
// could claim an identity is dropped.
//
// Wiring, in the server that owns the GenericAPIServer:
//
//	transports := backend.NewTransports(proxyCertProvider) // shared with the availability controller
//	h := proxy.NewHandler(proxy.Config{Resolver: resolver, Transports: transports, Serializer: codecs, ...})
//	// per remote APIService, from the registration controller:
//	mux := server.Handler.NonGoRestfulMux
//	mux.Handle("/apis/<g>/<v>", h)
//	mux.UnlistedHandlePrefix("/apis/<g>/<v>/", h)
//	h.UpdateAPIService(apiService) // on every add/update, so the Available condition is current
//	h.RemoveAPIService(name)       // and mux.Unregister both paths on delete
//
// LongRunningFunc must count watches and protocol upgrades (exec, attach,
// portforward, proxy, log, or any request with Connection: Upgrade) as long
// running: the timeout filter's writer cannot be hijacked and would cut
// streams at --request-timeout. Other requests stay bounded by that filter;
// /apis/<g>/<v> itself is bounded at Config.DiscoveryTimeout here.
//
// Compared with kube-aggregator it spreads requests over every resolved
// address itself (round robin, healthy addresses first, failed ones kept out
// with a growing backoff), retries on another address when that is safe,
// evicts an address's pooled connections when requests to it fail, answers
// every error with a negotiated metav1.Status naming the APIService, and
// streams responses without buffering. Like it, it sends the decoded path
// that was authorized, with the query re-encoded; unlike it, it refuses
// paths with ".", ".." or empty segments, and failures the request caused
// (headers too large for the backend, a body the client did not deliver)
// are answered as such and never count against the backend.
package proxy
