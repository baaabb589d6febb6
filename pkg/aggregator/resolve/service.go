package resolve

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// DefaultServicePort is spec.service.port of an APIService that leaves it
// unset, as kube-aggregator's v1 defaulting sets it.
const DefaultServicePort int32 = 443

// APIServicePort is the Service port an APIService's backend is reached on.
func APIServicePort(ref *apiregistrationv1.ServiceReference) int32 {
	if ref.Port == nil {
		return DefaultServicePort
	}
	return *ref.Port
}

// ServiceOf names the Service an informer object (a Service, its Endpoints
// or one of its EndpointSlices, or a tombstone of one) describes the
// backends of.
func ServiceOf(obj any) (types.NamespacedName, bool) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	switch o := obj.(type) {
	case *corev1.Service:
		return types.NamespacedName{Namespace: o.Namespace, Name: o.Name}, true
	case *corev1.Endpoints:
		return types.NamespacedName{Namespace: o.Namespace, Name: o.Name}, true
	case *discoveryv1.EndpointSlice:
		name := o.Labels[discoveryv1.LabelServiceName]
		return types.NamespacedName{Namespace: o.Namespace, Name: name}, name != ""
	}
	return types.NamespacedName{}, false
}
