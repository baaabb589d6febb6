package controlplane

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// namespaceResource declares namespaces.
func namespaceResource() *resource {
	return &resource{gv: corev1.SchemeGroupVersion, plural: "namespaces", singular: "namespace", shortNames: []string{"ns"}, status: true,
		newFunc: func() runtime.Object { return &corev1.Namespace{} }, newListFunc: func() runtime.Object { return &corev1.NamespaceList{} },
		columns: []column{{name: "Status", typ: "string", cell: func(o runtime.Object) any { return string(o.(*corev1.Namespace).Status.Phase) }}},
		hooks:   builtinHooks{}}
}
