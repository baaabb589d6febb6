// Package discovery serves API discovery for aggkit's aggregation layer.
//
// Everything aggkit serves, built in or aggregated, exists as an APIService,
// so discovery is computed from the APIService informer:
//
//   - APIsHandler answers the legacy documents, /apis (APIGroupList) and
//     /apis/<group> (APIGroup), ordered by the APIServices' priorities as
//     kube-aggregator orders them. The documents are cached and rebuilt after
//     APIService events, and carry an ETag.
//   - Manager fills the generic server's aggregated discovery v2 document
//     (an aggregated.ResourceManager) with the group/versions of remote
//     APIServices, fetched from their backends once per Service, falling back
//     to the legacy per-version documents, and marked Stale when a backend
//     stops answering. It also stamps the built-in group/versions with their
//     local APIService's priorities so v2 orders groups as /apis does.
//
// Serving the v2 document (ETag, 304, JSON and protobuf) is left to the
// ResourceManager from k8s.io/apiserver; APIsHandler.Install puts it and APIsHandler behind
// one /apis handler, as kube-aggregator does.
package discovery
