// Package aggregator puts the aggregation layer on a GenericAPIServer: it
// proxies every remote APIService's group/version to its backend (proxy,
// resolve, backend), keeps their Available condition (availability), and
// serves /apis, /apis/<group> and aggregated discovery for built-in and
// remote groups alike (discovery). The APIService storage itself is in
// apiservice; local APIServices for built-in groups in localapis.
package aggregator
