// Package controlplane is the small built-in Kubernetes API that aggkit
// serves when no kube-apiserver is around: namespaces, services, endpoints,
// configmaps, secrets, service accounts, RBAC, the review APIs, the
// admission and flow-control configuration that extension servers watch,
// and the APIService registry of the aggregator. It runs on
// k8s.io/apiserver's generic registry over etcd, so watch, resource
// versions, selectors, paging, server-side apply and tables behave as in
// Kubernetes.
package controlplane
