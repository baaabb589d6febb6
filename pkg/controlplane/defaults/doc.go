// Package defaults fills in the fields that kube-apiserver defaults on the
// Kubernetes objects the built-in control plane of `aggkit serve` stores.
//
// Upstream's SetDefaults_* functions live in k8s.io/kubernetes and are not
// importable, so runtime.Scheme.Default is a no-op for k8s.io/api types. The
// functions here cover the defaults clients rely on, with upstream's values.
// Each SetDefaults<Kind> only fills empty fields, so it is safe to call again
// on an already-defaulted object. pkg/controlplane binds each to its
// resource with kind(...), beside the kind's validation.
//
// Defaults come before validation: package validation requires the fields
// upstream always defaults (service type, port protocols, ...).
package defaults
