package resolve

import (
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corev1listers "k8s.io/client-go/listers/core/v1"
)

// Resolver finds the backends of a Service.
type Resolver interface {
	// Resolve returns the host:port addresses to try for the Service port, in order.
	Resolve(namespace, name string, port int32) ([]string, error)
}

// ResolverFunc adapts a function to a Resolver.
type ResolverFunc func(namespace, name string, port int32) ([]string, error)

// Resolve calls f.
func (f ResolverFunc) Resolve(namespace, name string, port int32) ([]string, error) {
	return f(namespace, name, port)
}

// getService reads the Service and turns lister errors into condition reasons.
func getService(services corev1listers.ServiceLister, namespace, name string) (*corev1.Service, error) {
	svc, err := services.Services(namespace).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		return nil, serviceNotFound(namespace, name)
	case err != nil:
		return nil, serviceAccessError(namespace, name, err)
	}
	return svc, nil
}

// servicePort finds the Service port whose .port is port; like kube-aggregator
// an APIService names the Service port, not the container port.
func servicePort(svc *corev1.Service, port int32) (corev1.ServicePort, error) {
	for _, p := range svc.Spec.Ports {
		if p.Port == port {
			return p, nil
		}
	}
	return corev1.ServicePort{}, servicePortError(svc.Namespace, svc.Name, port)
}

// externalName is where an ExternalName Service points: the name itself at
// the APIService port, which is not checked against spec.ports (as upstream).
func externalName(svc *corev1.Service, port int32) []string {
	return []string{hostPort(svc.Spec.ExternalName, port)}
}

func hostPort(host string, port int32) string {
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}
