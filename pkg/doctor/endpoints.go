package doctor

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// endpointsFound is what one source of endpoints (slices or Endpoints) holds
// for the Service port.
type endpointsFound struct {
	kind string // "endpointslices" or "endpoints"
	// ready and notReady are host:port, with the endpoint's port.
	ready, notReady []string
	// otherPortNames are port names seen that are not the Service port's.
	otherPortNames []string
}

// checkEndpoints is link 3: the Service has ready endpoints carrying its
// port, read as the aggregator does with endpoint routing: EndpointSlices
// first, the Endpoints object when there are none.
func (d *doctor) checkEndpoints(ctx context.Context, t *target) Check {
	svc := t.service
	port := apiServicePort(t.apiService)
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		t.addrs = []string{net.JoinHostPort(svc.Spec.ExternalName, strconv.Itoa(int(port)))}
		return ok("an ExternalName Service has no endpoints; the aggregator dials %s", t.addrs[0])
	}
	found, err := d.endpoints(ctx, svc, t.servicePort)
	if err != nil {
		return skip("cannot read the endpoints of service/%s in %q: %v", svc.Name, svc.Namespace, err)
	}
	if len(found.ready) > 0 {
		t.addrs = found.ready
		msg := fmt.Sprintf("%s: %s ready: %s", found.kind, plural(len(found.ready), "address"), strings.Join(found.ready, ", "))
		if len(found.notReady) > 0 {
			msg += fmt.Sprintf(" (%d not ready)", len(found.notReady))
		}
		return ok("%s", msg)
	}

	var msg string
	switch {
	case found.kind == "":
		msg = fmt.Sprintf("service/%s in %q has no EndpointSlices and no Endpoints", svc.Name, svc.Namespace)
	case len(found.notReady) > 0:
		msg = fmt.Sprintf("%s for service/%s in %q list only addresses that are not ready: %s",
			found.kind, svc.Name, svc.Namespace, strings.Join(found.notReady, ", "))
	case len(found.otherPortNames) > 0:
		msg = fmt.Sprintf("%s for service/%s in %q have no port named %q (the Service port's name); their ports are named %s",
			found.kind, svc.Name, svc.Namespace, t.servicePort.Name, strings.Join(found.otherPortNames, ", "))
	default:
		msg = fmt.Sprintf("%s for service/%s in %q have no addresses", found.kind, svc.Name, svc.Namespace)
	}
	return fail(msg, endpointsFix(svc, t.servicePort, found))
}

// endpointsFix depends on who writes the endpoints: the control plane from
// the selector's ready pods, or the user for a Service without selector.
func endpointsFix(svc *corev1.Service, sp corev1.ServicePort, found endpointsFound) string {
	if len(found.otherPortNames) > 0 && len(found.notReady) == 0 {
		return fmt.Sprintf("name the endpoint port %q like the Service port (or rename the Service port)", sp.Name)
	}
	if len(svc.Spec.Selector) > 0 {
		selector := labels.SelectorFromSet(svc.Spec.Selector).String()
		return fmt.Sprintf("no ready pod matches the Service's selector: `kubectl -n %s get pods -l %s`; "+
			"start the server's Deployment, check that its pod labels match and that its readiness probe passes "+
			"(kubectl -n %s describe pods -l %s)", svc.Namespace, selector, svc.Namespace, selector)
	}
	target := sp.TargetPort.String()
	if sp.TargetPort.IntValue() == 0 && sp.TargetPort.StrVal == "" {
		target = fmt.Sprint(sp.Port)
	}
	return fmt.Sprintf(`the Service has no selector, so its endpoints are written by hand: apply
apiVersion: v1
kind: Endpoints
metadata: {name: %s, namespace: %s}
subsets:
- addresses: [{ip: SERVER_IP}]
  ports: [{name: %q, port: %s}]`, svc.Name, svc.Namespace, sp.Name, target)
}

// endpoints reads EndpointSlices, then the Endpoints object when there are
// no slices (or the cluster does not serve them).
func (d *doctor) endpoints(ctx context.Context, svc *corev1.Service, sp corev1.ServicePort) (endpointsFound, error) {
	selector := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name}).String()
	sliceList, err := d.core.DiscoveryV1().EndpointSlices(svc.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err == nil && len(sliceList.Items) > 0 {
		return sliceEndpoints(sliceList.Items, sp), nil
	}
	ep, err := d.core.CoreV1().Endpoints(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return endpointsFound{}, nil
	case err != nil:
		return endpointsFound{}, err
	}
	return legacyEndpoints(ep, sp), nil
}

func sliceEndpoints(list []discoveryv1.EndpointSlice, sp corev1.ServicePort) endpointsFound {
	found := endpointsFound{kind: "endpointslices"}
	for _, s := range list {
		port, ok := matchingSlicePort(s.Ports, sp, &found)
		if !ok {
			continue
		}
		for _, e := range s.Endpoints {
			if len(e.Addresses) == 0 {
				continue
			}
			addr := net.JoinHostPort(e.Addresses[0], strconv.Itoa(int(port)))
			// Ready unset means unknown, which the API says to treat as ready.
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				found.ready = append(found.ready, addr)
			} else {
				found.notReady = append(found.notReady, addr)
			}
		}
	}
	return sortedFound(found)
}

func matchingSlicePort(ports []discoveryv1.EndpointPort, sp corev1.ServicePort, found *endpointsFound) (int32, bool) {
	for _, p := range ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if name != sp.Name {
			found.otherPortNames = appendQuoted(found.otherPortNames, name)
			continue
		}
		if p.Port != nil {
			return *p.Port, true
		}
		return int32(sp.TargetPort.IntValue()), sp.TargetPort.IntValue() != 0
	}
	return 0, false
}

func legacyEndpoints(ep *corev1.Endpoints, sp corev1.ServicePort) endpointsFound {
	found := endpointsFound{kind: "endpoints"}
	for _, subset := range ep.Subsets {
		var port int32
		matched := false
		for _, p := range subset.Ports {
			if p.Name == sp.Name {
				port, matched = p.Port, true
				break
			}
			found.otherPortNames = appendQuoted(found.otherPortNames, p.Name)
		}
		if !matched {
			continue
		}
		for _, a := range subset.Addresses {
			found.ready = append(found.ready, net.JoinHostPort(a.IP, strconv.Itoa(int(port))))
		}
		for _, a := range subset.NotReadyAddresses {
			found.notReady = append(found.notReady, net.JoinHostPort(a.IP, strconv.Itoa(int(port))))
		}
	}
	return sortedFound(found)
}

func appendQuoted(list []string, name string) []string {
	q := strconv.Quote(name)
	if slices.Contains(list, q) {
		return list
	}
	return append(list, q)
}

func sortedFound(f endpointsFound) endpointsFound {
	f.ready = slices.Compact(slices.Sorted(slices.Values(f.ready)))
	f.notReady = slices.Compact(slices.Sorted(slices.Values(f.notReady)))
	return f
}
