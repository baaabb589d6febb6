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
// Compared with kube-aggregator it spreads requests over every resolved
// address itself (round robin, healthy addresses first, failed ones kept out
// with a growing backoff), retries on another address when that is safe,
// evicts an address's pooled connections when requests to it fail, answers
// every error with a negotiated metav1.Status naming the APIService, and
// streams responses without buffering.
package proxy
