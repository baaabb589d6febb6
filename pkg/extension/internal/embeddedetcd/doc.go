// Package embeddedetcd runs a single-member etcd inside the extension server's
// process: the default store when no --etcd-servers are given, and (with a
// temporary directory and fsync off) the in-memory store used by tests. It is
// real etcd either way, so list, watch, resourceVersion and preconditions
// behave exactly as they do against an etcd cluster.
package embeddedetcd
