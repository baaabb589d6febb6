package resolve

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"
)

// NewClusterIPResolver resolves a Service to its cluster IP and the APIService
// port (kube-apiserver's --enable-aggregator-routing=false). ExternalName
// Services resolve to the external name; headless Services cannot be used
// because there is no single address to send to.
func NewClusterIPResolver(services corev1listers.ServiceLister) Resolver {
	return &clusterIPResolver{services: services}
}

type clusterIPResolver struct {
	services corev1listers.ServiceLister
}

func (r *clusterIPResolver) Resolve(namespace, name string, port int32) ([]string, error) {
	svc, err := getService(r.services, namespace, name)
	if err != nil {
		return nil, err
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return externalName(svc, port), nil
	}
	if _, err := servicePort(svc, port); err != nil {
		return nil, err
	}
	ip := svc.Spec.ClusterIP
	if ip == "" || ip == corev1.ClusterIPNone {
		return nil, &Error{ReasonServiceAccessError, fmt.Sprintf(
			"service/%s in %q has no cluster IP; headless Services need aggregator routing to endpoints", name, namespace)}
	}
	return []string{hostPort(ip, port)}, nil
}
