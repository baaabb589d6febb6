package controlplane

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
)

// extraStorage is the storage that is not a plain stored resource.
func (s *Server) extraStorage(opts generic.RESTOptionsGetter) (map[schema.GroupVersion]map[string]rest.Storage, error) {
	ns := &resource{gv: corev1.SchemeGroupVersion, plural: "namespaces", singular: "namespace", shortNames: []string{"ns"}, status: true,
		newFunc: func() runtime.Object { return &corev1.Namespace{} }, newListFunc: func() runtime.Object { return &corev1.NamespaceList{} },
		hooks: s.hooks()}
	paths, err := ns.storage(s.scheme, opts)
	if err != nil {
		return nil, err
	}
	return map[schema.GroupVersion]map[string]rest.Storage{corev1.SchemeGroupVersion: paths}, nil
}
