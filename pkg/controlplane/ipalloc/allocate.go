package ipalloc

import (
	"context"
	"errors"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"
)

// releaseTimeout bounds releases made after the request that caused them
// may have ended.
const releaseTimeout = 10 * time.Second

// allocation is what one request allocated. Whatever the stored Service
// does not end up holding is released again.
type allocation struct {
	claims []heldClaim
	prior  []heldClaim
}

type heldClaim struct {
	pool     *pool
	item     string
	revision int64
}

func (t *allocation) add(p *pool, item string, revision int64) {
	t.claims = append(t.claims, heldClaim{pool: p, item: item, revision: revision})
}

// releaseUnless frees every claim that keep rejects; a leak left by a
// failed release is repair's to collect.
func (t *allocation) releaseUnless(ctx context.Context, keep func(heldClaim) bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	for _, c := range t.claims {
		if keep != nil && keep(c) {
			continue
		}
		if err := c.pool.reg.release(ctx, c.item, c.revision); err != nil {
			klog.ErrorS(err, "Releasing a Service allocation failed; repair will free it", "item", c.item)
		}
	}
}

// holds reports whether an earlier attempt of the same update claimed item.
func (t *allocation) holds(p *pool, item string) bool {
	for _, c := range t.prior {
		if c.pool == p && c.item == item {
			return true
		}
	}
	return false
}

// allocate fills svc's cluster IP and node ports (old is the stored Service
// on update, nil on create) and allocates what svc asks for; prior are the
// claims of earlier attempts of the same update, which svc may reuse.
func (a *ServiceAllocator) allocate(ctx context.Context, svc, old *corev1.Service, dryRun bool, prior []heldClaim) (*allocation, error) {
	t := &allocation{prior: prior}
	owner := Owner{Namespace: svc.Namespace, Name: svc.Name, Allocated: a.now().UTC()}
	err := a.allocateClusterIP(ctx, t, svc, old, owner, dryRun)
	if err == nil {
		err = a.allocateNodePorts(ctx, t, svc, old, owner, dryRun)
	}
	if err != nil {
		t.releaseUnless(ctx, nil)
		return nil, err
	}
	return t, nil
}

// allocateClusterIP gives an IP to a Service that needs one and has none,
// and allocates a requested one. An IP the stored Service already has is
// left to validation, which refuses any change.
func (a *ServiceAllocator) allocateClusterIP(ctx context.Context, t *allocation, svc, old *corev1.Service, owner Owner, dryRun bool) error {
	if serviceType(svc) == corev1.ServiceTypeExternalName {
		return nil
	}
	ips := clusterIPs(svc)
	if old != nil && serviceType(old) != corev1.ServiceTypeExternalName && len(clusterIPs(old)) > 0 {
		// Validation refuses any change of the IPs held; only a second
		// (dual-stack) IP is an addition, which this range cannot serve.
		if len(ips) > 1 || svc.Spec.IPFamilyPolicy != nil && *svc.Spec.IPFamilyPolicy == corev1.IPFamilyPolicyRequireDualStack {
			return invalid(svc, a.checkFamilies(svc)...)
		}
		return nil
	}
	if len(ips) > 0 && ips[0] == corev1.ClusterIPNone {
		return nil // headless
	}
	if errs := a.checkFamilies(svc); len(errs) > 0 {
		return invalid(svc, errs...)
	}
	if len(ips) == 0 {
		ip, rev, err := a.nextClusterIP(ctx, svc, owner, dryRun)
		if err != nil {
			return nextError("serviceIP", "--service-cluster-ip-range", &a.ips, err)
		}
		if !dryRun {
			t.add(&a.ips, ip, rev)
		}
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ip, []string{ip}
		return nil
	}
	if t.holds(&a.ips, ips[0]) {
		return nil
	}
	rev, err := a.ips.request(ctx, ips[0], owner, dryRun)
	if err != nil {
		return a.ipError(svc, ips[0], err)
	}
	if !dryRun {
		t.add(&a.ips, ips[0], rev)
	}
	return nil
}

// nextClusterIP gives default/kubernetes the range's first address, as
// kube-apiserver does, and everyone else any free address after it.
func (a *ServiceAllocator) nextClusterIP(ctx context.Context, svc *corev1.Service, owner Owner, dryRun bool) (string, int64, error) {
	if svc.Namespace == metav1.NamespaceDefault && svc.Name == "kubernetes" {
		first := a.ips.item(a.ips.first)
		rev, err := a.ips.request(ctx, first, owner, dryRun)
		if err == nil {
			return first, rev, nil
		}
		if !errors.Is(err, errAllocated) {
			return "", 0, err
		}
	}
	return a.ips.next(ctx, owner, nil, dryRun)
}

// checkFamilies refuses what a single-stack range cannot serve.
func (a *ServiceAllocator) checkFamilies(svc *corev1.Service) field.ErrorList {
	spec := &svc.Spec
	var errs field.ErrorList
	if spec.IPFamilyPolicy != nil && *spec.IPFamilyPolicy == corev1.IPFamilyPolicyRequireDualStack {
		errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), *spec.IPFamilyPolicy,
			"this cluster is not configured for dual-stack services"))
	}
	for i, fam := range spec.IPFamilies {
		if fam != a.family {
			errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilies").Index(i), fam, "not configured on this cluster"))
		}
	}
	if ips := clusterIPs(svc); len(ips) > 1 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(1), ips[1],
			"this cluster is not configured for dual-stack services"))
	}
	return errs
}

// allocateNodePorts gives a node port to every port of a NodePort or
// LoadBalancer Service that lacks one (ports sharing a number across
// protocols share it, as kube-apiserver does) and a health check node port
// to a LoadBalancer with externalTrafficPolicy Local; requested ones are
// allocated unless the stored Service already holds them.
func (a *ServiceAllocator) allocateNodePorts(ctx context.Context, t *allocation, svc, old *corev1.Service, owner Owner, dryRun bool) error {
	if !exposesNodePorts(svc) {
		return nil
	}
	held := map[string]bool{}
	if old != nil {
		held = usedNodePorts(old)
	}
	for _, c := range t.prior {
		if c.pool == &a.ports {
			held[c.item] = true
		}
	}
	byPort := map[int32]int32{}
	for _, p := range svc.Spec.Ports {
		if _, seen := byPort[p.Port]; p.NodePort != 0 && !seen {
			byPort[p.Port] = p.NodePort
		}
	}
	next := func() (int32, error) {
		item, rev, err := a.ports.next(ctx, owner, held, dryRun)
		if err != nil {
			return 0, nextError("nodePort", "--service-node-port-range", &a.ports, err)
		}
		held[item] = true
		if !dryRun {
			t.add(&a.ports, item, rev)
		}
		port, _ := strconv.Atoi(item)
		return int32(port), nil
	}
	request := func(port int32, path *field.Path) error {
		item := strconv.Itoa(int(port))
		if held[item] {
			return nil
		}
		rev, err := a.ports.request(ctx, item, owner, dryRun)
		if err != nil {
			return a.portError(svc, path, port, err)
		}
		held[item] = true
		if !dryRun {
			t.add(&a.ports, item, rev)
		}
		return nil
	}

	portsPath := field.NewPath("spec", "ports")
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort != 0 {
			if err := request(p.NodePort, portsPath.Index(i).Child("nodePort")); err != nil {
				return err
			}
			continue
		}
		if !allocatesNodePorts(svc) {
			continue
		}
		if shared, ok := byPort[p.Port]; ok {
			p.NodePort = shared
			continue
		}
		port, err := next()
		if err != nil {
			return err
		}
		p.NodePort, byPort[p.Port] = port, port
	}
	if !needsHealthCheckNodePort(svc) {
		return nil
	}
	if svc.Spec.HealthCheckNodePort != 0 {
		return request(svc.Spec.HealthCheckNodePort, field.NewPath("spec", "healthCheckNodePort"))
	}
	port, err := next()
	svc.Spec.HealthCheckNodePort = port
	return err
}
