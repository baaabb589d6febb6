// Package registry holds the pieces of k8s.io/apiserver generic registry
// storage that aggkit's built-in resources (pkg/controlplane) and extension
// servers (pkg/extension) both need, so the two serve status subresources,
// `kubectl get` tables and field selectors the same way.
package registry
