// Package availability runs the controller that keeps the Available
// condition of every remote APIService (spec.service set) true to the facts,
// as kube-aggregator's remote availability controller does, with the same
// reasons and messages: the resolver's ServiceNotFound, ServicePortError,
// EndpointsNotFound, MissingEndpoints, ServiceAccessError and
// EndpointsAccessError; FailedDiscoveryCheck; and Passed with "all checks
// passed". Local APIServices belong to someone else and are skipped.
//
// A check resolves the Service (pkg/aggregator/resolve), then GETs
// /apis/<group>/<version> (/api/<version> for the legacy group) on every
// address in parallel through the APIService's transport
// (pkg/aggregator/backend: spec.caBundle, server name <svc>.<ns>.svc, the
// proxy client certificate), as system:kube-aggregator in system:masters.
// One 2xx answer passes; redirects and every other status fail. A failure
// message says what to fix when the cause is recognisable (which caBundle and
// server name a TLS error was verified against, a refused identity, ...).
//
// # How fast a dead backend is noticed
//
// kube-aggregator notices a killed backend after about 16 s; the goal here
// is under 2 s, from four sources:
//   - informer events (APIService, Service, EndpointSlice, Endpoints) queue
//     the affected APIServices at once;
//   - every APIService is probed again each Config.Period (default 10 s);
//   - for an Available APIService the controller holds one idle TLS
//     connection to each address (the connection watch). A killed or stopped
//     backend closes it, and the APIService is probed at once, where a dead
//     port answers "connection refused" immediately;
//   - a failed probe of an Available APIService is repeated after
//     Config.RecheckDelay (250 ms) and only a second failure turns it False,
//     so one dropped connection does not flap it.
//
// # How fast a restarted backend is noticed
//
// Within a second of it listening again, however long it was gone, with
// or without endpoint events (static addresses have none): while no address
// of a failing APIService accepts a connection, it is re-probed every
// 500 ms, which costs at most two refused dials a second per address and no
// work on any backend. A backend that answers but fails (bad status, TLS
// error, timeout) is re-probed with a backoff from RecheckDelay up to
// Period instead, since each probe costs it a handshake and a request. The
// proxy keeps a refusing address out of rotation for 500 ms at a time, so
// it too uses a restarted backend within a second.
//
// Every probe request runs to its own timeout: one address passing does
// not cancel the others, which a backend would log as a handler timeout.
// Probes cut short by shutdown are not written.
//
// # Several replicas on one etcd
//
// kube-aggregator lets every apiserver write its own view, so the status
// flaps when their views differ (openshift/origin#21858). Here every replica
// probes and keeps its own aggregator_unavailable_apiservice gauge, but
// status is written only when the observation differs from what is stored
// AND this replica is the writer (Config.Elector). LeaseElector elects one
// writer through a coordination.k8s.io Lease; on election it resyncs every
// APIService. With a single replica leave Elector nil. The cost: after the
// writer dies uncleanly, status is stale until another replica takes the
// Lease, under 3 s with the defaults (see DefaultLeaseDuration); a writer
// restarted with the same identity takes its Lease back at once.
//
// # Shape
//
// Informer events queue APIService names on a rate-limited workqueue;
// workers call Controller.sync, a field tests can replace. A write error is
// retried with backoff (5 ms to 30 s). Unlike kube-aggregator, a failed
// discovery check is not returned as a sync error: it is the expected
// outcome, recorded in status, and re-probed on the schedule above.
package availability
