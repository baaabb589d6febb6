// Package e2e drives aggkit with real programs: kubectl built from
// k8s.io/kubectl and the unmodified k8s.io/sample-apiserver.
package e2e
