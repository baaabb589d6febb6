// Package aggtest is for aggregated API servers what envtest is for
// controllers, with nothing to download: inside a Go test, Start runs an
// aggkit control plane in-process (embedded etcd in a temporary
// directory, which the server's storage shares), runs the extension server
// under test in-process too, registers it behind the aggregator as `aggkit
// run local` does (the RBAC of its service account; once the server is
// ready, Service and Endpoints on loopback and one APIService per version
// with a caBundle), waits until every APIService is Available, and
// hands back an admin client configuration that goes through the
// aggregator. Everything stops when the test ends; several Starts may run in
// one test binary, one after the other or side by side.
package aggtest
