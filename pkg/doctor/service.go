package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

// checkService is link 2: spec.service names a Service that exists and has
// a port numbered spec.service.port (the Service port, not the targetPort).
func (d *doctor) checkService(ctx context.Context, t *target) Check {
	ref := t.apiService.Spec.Service
	port := apiServicePort(t.apiService)
	svc, err := d.core.CoreV1().Services(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return fail(fmt.Sprintf("service/%s in %q does not exist%s", ref.Name, ref.Namespace, d.otherServices(ctx, ref.Namespace)),
			fmt.Sprintf("create the Service %s/%s in front of the server, or point the APIService at the right one: "+
				"kubectl patch apiservice %s --type=merge -p '{\"spec\":{\"service\":{\"namespace\":\"NAMESPACE\",\"name\":\"NAME\"}}}'",
				ref.Namespace, ref.Name, t.apiService.Name))
	case err != nil:
		return fail(fmt.Sprintf("cannot read service/%s in %q: %v", ref.Name, ref.Namespace, err),
			"doctor needs to get Services; use credentials that may")
	}
	t.service = svc
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return ok("service/%s in %q is ExternalName %s; the aggregator dials it at port %d", ref.Name, ref.Namespace, svc.Spec.ExternalName, port)
	}
	for _, p := range svc.Spec.Ports {
		if p.Port == port {
			t.servicePort = p
			return ok("service/%s in %q has port %d (%s)", ref.Name, ref.Namespace, port, describePort(p))
		}
	}
	var numbers []string
	for _, p := range svc.Spec.Ports {
		numbers = append(numbers, fmt.Sprintf("%d (%s)", p.Port, describePort(p)))
	}
	portSource := "spec.service.port"
	if t.apiService.Spec.Service.Port == nil {
		portSource += fmt.Sprintf(" (unset, so %d)", resolve.DefaultServicePort)
	}
	msg := fmt.Sprintf("service/%s in %q has no port %d, which the APIService's %s names; its ports: %s",
		ref.Name, ref.Namespace, port, portSource, orNone(strings.Join(numbers, ", ")))
	fix := fmt.Sprintf("add port %d to the Service's spec.ports (targetPort: the server's --secure-port)", port)
	if len(svc.Spec.Ports) > 0 {
		fix = fmt.Sprintf("set the APIService's port to the Service port (not the targetPort): "+
			"kubectl patch apiservice %s --type=merge -p '{\"spec\":{\"service\":{\"port\":%d}}}'; or %s",
			t.apiService.Name, svc.Spec.Ports[0].Port, fix)
	}
	return fail(msg, fix)
}

func describePort(p corev1.ServicePort) string {
	name := p.Name
	if name == "" {
		name = "unnamed"
	}
	target := p.TargetPort.String()
	if p.TargetPort.IntValue() == 0 && p.TargetPort.StrVal == "" {
		target = fmt.Sprint(p.Port)
	}
	return fmt.Sprintf("%s, targetPort %s", name, target)
}

// otherServices lists the Services of namespace, to spot a misspelt name.
func (d *doctor) otherServices(ctx context.Context, namespace string) string {
	if _, err := d.core.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return fmt.Sprintf("; namespace %q does not exist either", namespace)
	}
	list, err := d.core.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return ""
	}
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return fmt.Sprintf("; services in %q: %s", namespace, orNone(strings.Join(names, ", ")))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
