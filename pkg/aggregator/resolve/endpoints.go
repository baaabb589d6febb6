package resolve

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	corev1listers "k8s.io/client-go/listers/core/v1"
	discoveryv1listers "k8s.io/client-go/listers/discovery/v1"
)

// NewEndpointResolver resolves a Service to its ready endpoints
// (kube-apiserver's --enable-aggregator-routing=true). The Service port whose
// .port is the APIService port is mapped to its target port through the port
// name, as kube-proxy does. EndpointSlices (labelled kubernetes.io/service-name)
// are read first; when a Service has none, the legacy Endpoints object is used,
// and endpoints may be nil to skip that fallback.
//
// Unlike kube-aggregator, which picks one random endpoint per request, every
// ready address is returned (primary IP family first, then in a stable order),
// so the caller can spread load and fail over. ExternalName Services resolve to
// the external name, since they have no endpoints to route to.
func NewEndpointResolver(services corev1listers.ServiceLister, slices discoveryv1listers.EndpointSliceLister, endpoints corev1listers.EndpointsLister) Resolver {
	return &endpointResolver{services: services, slices: slices, endpoints: endpoints}
}

type endpointResolver struct {
	services  corev1listers.ServiceLister
	slices    discoveryv1listers.EndpointSliceLister
	endpoints corev1listers.EndpointsLister
}

func (r *endpointResolver) Resolve(namespace, name string, port int32) ([]string, error) {
	svc, err := getService(r.services, namespace, name)
	if err != nil {
		return nil, err
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return externalName(svc, port), nil
	}
	sp, err := servicePort(svc, port)
	if err != nil {
		return nil, err
	}
	endpointSlices, err := r.listSlices(namespace, name)
	if err != nil {
		return nil, err
	}
	kind, addrs := "endpointslices", []string(nil)
	if len(endpointSlices) > 0 {
		addrs = sliceAddresses(endpointSlices, sp, primaryFamily(svc))
	} else {
		kind = "endpoints"
		addrs, err = r.endpointsAddresses(namespace, name, sp)
		if err != nil {
			return nil, err
		}
	}
	if len(addrs) == 0 {
		return nil, &Error{ReasonMissingEndpoints, fmt.Sprintf(
			"%s for service/%s in %q have no addresses with port name %q", kind, name, namespace, sp.Name)}
	}
	return addrs, nil
}

func (r *endpointResolver) listSlices(namespace, name string) ([]*discoveryv1.EndpointSlice, error) {
	if r.slices == nil {
		return nil, nil
	}
	selector := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: name})
	list, err := r.slices.EndpointSlices(namespace).List(selector)
	if err != nil {
		return nil, &Error{ReasonEndpointsAccessError, fmt.Sprintf(
			"endpointslices for service/%s in %q cannot be listed due to: %v", name, namespace, err)}
	}
	return list, nil
}

// endpointsAddresses is the fallback for clusters (or tests) without
// EndpointSlices.
func (r *endpointResolver) endpointsAddresses(namespace, name string, sp corev1.ServicePort) ([]string, error) {
	notFound := &Error{ReasonEndpointsNotFound, fmt.Sprintf("cannot find endpointslices for service/%s in %q", name, namespace)}
	if r.endpoints == nil {
		return nil, notFound
	}
	ep, err := r.endpoints.Endpoints(namespace).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		return nil, notFound
	case err != nil:
		return nil, &Error{ReasonEndpointsAccessError, fmt.Sprintf(
			"endpoints for service/%s in %q cannot be checked due to: %v", name, namespace, err)}
	}
	var addrs []string
	for _, subset := range ep.Subsets {
		target, ok := endpointsPort(subset.Ports, sp)
		if !ok {
			continue
		}
		for _, a := range subset.Addresses { // NotReadyAddresses are skipped
			addrs = append(addrs, hostPort(a.IP, target))
		}
	}
	return dedupe(addrs), nil
}

// sliceAddresses lists ready endpoints whose slice carries the service port's
// name; addresses of the Service's primary IP family come first.
func sliceAddresses(list []*discoveryv1.EndpointSlice, sp corev1.ServicePort, family discoveryv1.AddressType) []string {
	var primary, other []string
	for _, slice := range list {
		target, ok := slicePort(slice.Ports, sp)
		if !ok {
			continue
		}
		for _, ep := range slice.Endpoints {
			// ready == nil means unknown, which the API says to treat as ready.
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready || len(ep.Addresses) == 0 {
				continue
			}
			addr := hostPort(ep.Addresses[0], target)
			if family == "" || slice.AddressType == family {
				primary = append(primary, addr)
			} else {
				other = append(other, addr)
			}
		}
	}
	slices.Sort(primary)
	slices.Sort(other)
	return dedupe(append(primary, other...))
}

// slicePort is the endpoint port named like the service port. A slice port
// without a number falls back to a numeric targetPort.
func slicePort(ports []discoveryv1.EndpointPort, sp corev1.ServicePort) (int32, bool) {
	for _, p := range ports {
		pname := ""
		if p.Name != nil {
			pname = *p.Name
		}
		if pname != sp.Name {
			continue
		}
		if p.Port != nil {
			return *p.Port, true
		}
		if n := sp.TargetPort.IntValue(); n > 0 {
			return int32(n), true
		}
	}
	return 0, false
}

func endpointsPort(ports []corev1.EndpointPort, sp corev1.ServicePort) (int32, bool) {
	for _, p := range ports {
		if p.Name == sp.Name {
			return p.Port, true
		}
	}
	return 0, false
}

func primaryFamily(svc *corev1.Service) discoveryv1.AddressType {
	if len(svc.Spec.IPFamilies) == 0 {
		return ""
	}
	return discoveryv1.AddressType(svc.Spec.IPFamilies[0])
}

// dedupe drops repeats while keeping order: during a rollout the same pod can
// appear in two slices.
func dedupe(addrs []string) []string {
	seen := make(map[string]bool, len(addrs))
	out := addrs[:0]
	for _, a := range addrs {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
