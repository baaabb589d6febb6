// Package framework runs the real programs that end-to-end tests drive:
// aggkit itself, kubectl built from k8s.io/kubectl, and
// k8s.io/sample-apiserver, each built once per test binary from the
// versions pinned in go.mod and linked again only when their sources change.
package framework
