// Package resolve turns the Service an APIService points at into the
// host:port addresses the aggregator proxies to and probes.
//
// Two resolvers match kube-apiserver's --enable-aggregator-routing flag:
// NewEndpointResolver (true) returns every ready endpoint of the Service, so
// the proxy can spread requests over pods itself; NewClusterIPResolver (false)
// returns the Service's cluster IP and lets kube-proxy pick a pod.
//
// Failures are *Error values whose Reason is the APIService condition reason
// Kubernetes uses for that case, so the availability controller can copy
// Reason and Message into the Available condition unchanged.
package resolve
