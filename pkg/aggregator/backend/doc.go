// Package backend builds the TLS transports the aggregator uses to reach the
// servers behind remote APIServices.
//
// One Transports value is shared by the proxy and the availability prober,
// so both present the same client certificate, verify backends the same way
// and share pooled connections. Transports.For returns a Transport per
// APIService, rebuilt only when the APIService's TLS settings, its Service or
// the proxy client certificate change.
//
// A Transport keeps separate connection pools per backend address, and a few
// HTTP/2 connections per address instead of one: behind a cluster IP each
// connection lands on one pod, so a single multiplexed connection would pin a
// Service's whole traffic to one pod (kubernetes#60042, #74280). Pools of one
// address can be evicted when requests to it fail.
package backend
