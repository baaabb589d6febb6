package deploy

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Local describes an extension server running outside the cluster (on this
// machine), at Address:Port, serving a certificate CABundle verifies for
// the Service's DNS names.
type Local struct {
	Name, Namespace, Group string
	Versions               []string
	// Address is an IP the control plane can dial, e.g. 127.0.0.1.
	Address string
	Port    int
	// CABundle is the PEM CA that signed the server's certificate.
	CABundle []byte
	// ServiceAccount the RBAC is bound to; DefaultServiceAccount if empty.
	ServiceAccount string
}

// LocalObjects are the objects that register l: the Namespace, the
// ServiceAccount and RBAC exactly as for a cluster, a Service without
// selector whose port 443 targets l.Port, Endpoints at l.Address:l.Port,
// and one APIService per version with the caBundle.
func LocalObjects(l Local) []runtime.Object {
	sa := l.ServiceAccount
	if sa == "" {
		sa = DefaultServiceAccount
	}
	labels := commonLabels(l.Name)
	objs := identityObjects(l.Name, l.Namespace, sa)
	objs = append(objs,
		&corev1.Service{
			TypeMeta:   typeMeta("v1", "Service"),
			ObjectMeta: metav1.ObjectMeta{Name: l.Name, Namespace: l.Namespace, Labels: labels},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
				Name: "https", Protocol: corev1.ProtocolTCP, Port: servicePort, TargetPort: intstr.FromInt(l.Port)}}},
		},
		// Endpoints rather than an EndpointSlice: every control plane still
		// reads them for a Service that has no slices.
		&corev1.Endpoints{
			TypeMeta:   typeMeta("v1", "Endpoints"),
			ObjectMeta: metav1.ObjectMeta{Name: l.Name, Namespace: l.Namespace, Labels: labels},
			Subsets: []corev1.EndpointSubset{{
				Addresses: []corev1.EndpointAddress{{IP: l.Address}},
				Ports:     []corev1.EndpointPort{{Name: "https", Protocol: corev1.ProtocolTCP, Port: int32(l.Port)}},
			}},
		},
	)
	return append(objs, apiServices(l.Name, l.Namespace, l.Group, l.Versions, l.CABundle)...)
}

// SplitRouting separates what makes the server's identity (namespace,
// service account, RBAC) from what routes requests to it (Service,
// Endpoints, APIServices).
func SplitRouting(objs []runtime.Object) (identity, routing []runtime.Object) {
	for _, o := range objs {
		switch o.(type) {
		case *corev1.Service, *corev1.Endpoints, *apiregistrationv1.APIService:
			routing = append(routing, o)
		default:
			identity = append(identity, o)
		}
	}
	return identity, routing
}
