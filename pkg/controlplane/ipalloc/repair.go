package ipalloc

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"
)

// DefaultRepairPeriod is how often RepairPeriodically runs, as often as
// kube-apiserver's repair controllers.
const DefaultRepairPeriod = 3 * time.Minute

// ServiceStore is the Service storage, as repair reads and updates it.
type ServiceStore interface {
	rest.Lister
	rest.Updater
}

// Repair brings the allocations in line with the stored Services. It is
// safe while Services are created and deleted, here or on other replicas:
// it reads the allocations before the Services, frees only allocations
// older than the leak grace that no Service holds (a create in flight holds
// a younger one), and frees each only if nobody re-allocated it since.
func (a *ServiceAllocator) Repair(ctx context.Context, store ServiceStore) error {
	ipClaims, err := a.ips.reg.list(ctx)
	if err != nil {
		return err
	}
	portClaims, err := a.ports.reg.list(ctx)
	if err != nil {
		return err
	}
	listed, err := store.List(genericapirequest.WithNamespace(ctx, metav1.NamespaceAll), &metainternalversion.ListOptions{})
	if err != nil {
		return fmt.Errorf("list services: %w", err)
	}
	services := listed.(*corev1.ServiceList).Items
	if err := a.repairPool(ctx, "cluster IP", &a.ips, ipClaims, services, usedIPs); err != nil {
		return err
	}
	if err := a.repairPool(ctx, "node port", &a.ports, portClaims, services, usedNodePorts); err != nil {
		return err
	}
	a.backfill(ctx, store, services)
	return nil
}

// RepairPeriodically runs Repair every period, the first time one period
// from now, until ctx ends.
func (a *ServiceAllocator) RepairPeriodically(ctx context.Context, store ServiceStore, period time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(period):
	}
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := a.Repair(ctx, store); err != nil && ctx.Err() == nil {
			klog.ErrorS(err, "Repairing Service allocations failed")
		}
	}, period)
}

// repairPool restores the allocations Services hold but that are missing
// (lost, or stored before allocation existed) and frees leaked ones.
func (a *ServiceAllocator) repairPool(ctx context.Context, what string, p *pool, claims []claim, services []corev1.Service, used func(*corev1.Service) map[string]bool) error {
	holders := map[string]Owner{}
	for i := range services {
		svc := &services[i]
		for item := range used(svc) {
			if _, ok := p.index(item); !ok {
				klog.InfoS("Service holds a value outside the configured range", "service", klog.KObj(svc), "kind", what, "value", item, "range", p.describe)
				continue
			}
			if other, dup := holders[item]; dup {
				klog.InfoS("Two Services hold one value", "kind", what, "value", item,
					"service", klog.KObj(svc), "other", klog.KRef(other.Namespace, other.Name))
			}
			holders[item] = Owner{Namespace: svc.Namespace, Name: svc.Name}
		}
	}
	claimed := map[string]bool{}
	for _, c := range claims {
		claimed[c.item] = true
	}
	now := a.now()
	restored, freed := 0, 0
	for item, owner := range holders {
		if claimed[item] {
			continue
		}
		owner.Allocated = now.UTC()
		if _, err := p.reg.claim(ctx, item, owner); err != nil && !errors.Is(err, errAllocated) {
			return err
		}
		restored++
	}
	for _, c := range claims {
		if _, held := holders[c.item]; held || now.Sub(c.owner.Allocated) < a.leakGrace {
			continue
		}
		if err := p.reg.release(ctx, c.item, c.revision); err != nil {
			return err
		}
		freed++
	}
	if restored > 0 || freed > 0 {
		klog.InfoS("Repaired Service allocations", "kind", what, "restored", restored, "freed", freed)
	}
	return nil
}

// backfill allocates, through an ordinary update, for Services stored
// before allocation existed. A conflict or a failure is left for the next
// repair.
func (a *ServiceAllocator) backfill(ctx context.Context, store ServiceStore, services []corev1.Service) {
	for i := range services {
		svc := &services[i]
		if svc.DeletionTimestamp != nil || !lacksAllocation(svc) {
			continue
		}
		nsCtx := genericapirequest.WithNamespace(ctx, svc.Namespace)
		_, _, err := store.Update(nsCtx, svc.Name, rest.DefaultUpdatedObjectInfo(svc.DeepCopy()),
			rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
		if err != nil {
			klog.InfoS("Could not allocate for a Service stored without allocation", "service", klog.KObj(svc), "err", err)
			continue
		}
		klog.InfoS("Allocated for a Service stored without allocation", "service", klog.KObj(svc))
	}
}

// lacksAllocation is whether a stored Service misses a cluster IP or node
// port it should have.
func lacksAllocation(svc *corev1.Service) bool {
	if needsClusterIP(svc) {
		return true
	}
	if allocatesNodePorts(svc) {
		for _, p := range svc.Spec.Ports {
			if p.NodePort == 0 {
				return true
			}
		}
	}
	return needsHealthCheckNodePort(svc) && svc.Spec.HealthCheckNodePort == 0
}
