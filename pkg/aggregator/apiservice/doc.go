// Package apiservice is the storage of aggkit's APIService registry: the
// apiregistration.k8s.io/v1 apiservices resource and its status subresource,
// kept in etcd through k8s.io/apiserver's generic registry.
//
// It follows kube-aggregator's registry (pkg/registry/apiservice) on the wire:
// the same validation, create/update/status semantics, server-side-apply reset
// fields, table columns and category. The API types themselves come from
// k8s.io/kube-aggregator/pkg/apis/apiregistration; this package only stores them.
//
// Wiring, in the server that owns the GenericAPIServer:
//
//	apiservice.Install(scheme)
//	info, err := apiservice.NewAPIGroupInfo(scheme, codecs, restOptionsGetter)
//	err = server.InstallAPIGroup(info)
package apiservice
