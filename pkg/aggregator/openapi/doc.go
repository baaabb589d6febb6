// Package openapi aggregates the OpenAPI documents of remote APIServices into
// the server's own /openapi/v2 and /openapi/v3, so that clients (kubectl
// explain, server-side apply, client-go's typed discovery) see remote groups
// as they see built-in ones.
//
// It does not install handlers: the GenericAPIServer's PrepareRun installs
// kube-openapi's /openapi/v2 and /openapi/v3 handlers, and this package feeds
// them after the server starts (Controller.PostStartHook). Each remote
// APIService's documents are fetched from its backend, cached with the
// backend's ETag and refreshed when the APIService changes and periodically;
// a backend that cannot be reached keeps its last documents.
package openapi
