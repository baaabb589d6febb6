// Package localapis registers the group/versions that aggkit's server serves
// itself as local APIServices (spec.service unset), as kube-apiserver's
// autoregistration does for its built-in APIs. Discovery and the proxy then
// treat built-in and aggregated group/versions alike: everything is an
// APIService, ordered by its priorities.
//
// Registration happens once at start (label
// kube-aggregator.kubernetes.io/automanaged=onstart): missing APIServices are
// created, automanaged ones brought back to the wanted spec, and onstart ones
// this server no longer serves deleted. APIServices without the label, and any
// APIService that points at a Service, are left alone.
package localapis
