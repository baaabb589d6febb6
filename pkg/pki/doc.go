// Package pki creates, on first start, the certificate authorities, serving
// and client certificates and signing keys that an API server needs, and
// reuses them on every later start. It also writes kubeconfig files that
// present those certificates.
package pki
