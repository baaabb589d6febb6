// Package apiservicetest starts the APIService registry for tests: an
// embedded etcd member, the apiservices storage on it, and optionally a real
// k8s.io/apiserver GenericAPIServer serving apiregistration.k8s.io/v1 over
// HTTP on loopback, so kube-aggregator's generated clientset exercises the
// same handler chain, defaulting and server-side apply as in aggkit.
package apiservicetest
