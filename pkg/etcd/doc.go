// Package etcd starts the embedded etcd that aggkit uses as its default
// store, and describes how to reach an etcd cluster instead. Both end as the
// same thing: a list of client URLs plus TLS files for k8s.io/apiserver's
// storage backend.
package etcd
