package ipalloc

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/util/dryrun"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/controlplane/defaults"
)

// Install makes store allocate on create and update and release on
// delete. Install it on the main Service store only: a status write keeps
// the stored spec, so it neither allocates nor releases. Updates must go
// through Update so that releases wait until the write is stored.
func (a *ServiceAllocator) Install(store *genericregistry.Store) {
	store.BeginCreate = a.beginCreate
	store.BeginUpdate = a.beginUpdate
	store.AfterDelete = a.afterDelete
}

// beginCreate runs before defaulting and validation, as kube-apiserver's
// service storage does, so that validation sees the allocated values. The
// store calls the returned func with false when the create fails.
func (a *ServiceAllocator) beginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
	svc := obj.(*corev1.Service)
	if ns, ok := genericapirequest.NamespaceFrom(ctx); ok && ns != "" {
		svc.Namespace = ns
	}
	t, err := a.allocate(ctx, svc, nil, dryrun.IsDryRun(options.DryRun), nil)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, success bool) {
		if !success {
			t.releaseUnless(ctx, nil)
		}
	}, nil
}

// beginUpdate carries over what the client left out, then allocates what
// the update adds. The store may run it more than once for one request (a
// conflict retries the update) and calls the returned func with true
// before the write is stored, so what it allocated and what the old
// Service held are settled by Update once the write is done.
func (a *ServiceAllocator) beginUpdate(ctx context.Context, obj, oldObj runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
	svc, old := obj.(*corev1.Service), oldObj.(*corev1.Service)
	defaults.DropServiceTypeDependentFields(svc, old)
	defaults.PreserveServiceAllocations(svc, old)
	dryRun := dryrun.IsDryRun(options.DryRun)
	rec, _ := ctx.Value(updateRecordKey{}).(*updateRecord)
	t, err := a.allocate(ctx, svc, old, dryRun, rec.priorClaims())
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, success bool) {
		switch {
		case !success:
			t.releaseUnless(ctx, nil)
		case dryRun:
		case rec != nil:
			rec.attempted(t, old)
		default:
			// Called outside Update: release now, as kube-apiserver does.
			a.settle(ctx, &updateRecord{claims: t.claims, old: old}, svc)
		}
	}, nil
}

// afterDelete frees what the deleted Service held.
func (a *ServiceAllocator) afterDelete(obj runtime.Object, options *metav1.DeleteOptions) {
	if options != nil && dryrun.IsDryRun(options.DryRun) {
		return
	}
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	a.releaseHeld(ctx, svc, nil)
}

// releaseHeld frees the IPs and node ports svc holds that keep does not.
func (a *ServiceAllocator) releaseHeld(ctx context.Context, svc, keep *corev1.Service) {
	owner := Owner{Namespace: svc.Namespace, Name: svc.Name}
	for _, part := range []struct {
		pool *pool
		used func(*corev1.Service) map[string]bool
	}{{&a.ips, usedIPs}, {&a.ports, usedNodePorts}} {
		kept := map[string]bool{}
		if keep != nil {
			kept = part.used(keep)
		}
		for item := range part.used(svc) {
			if kept[item] {
				continue
			}
			if err := part.pool.reg.releaseOwned(ctx, item, owner); err != nil {
				klog.ErrorS(err, "Releasing a Service allocation failed; repair will free it", "service", klog.KObj(svc), "item", item)
			}
		}
	}
}

// updateRecordKey carries an *updateRecord through the store's Update.
type updateRecordKey struct{}

// updateRecord collects, across the attempts of one update, what was
// allocated and the stored Service the last attempt replaced.
type updateRecord struct {
	mu     sync.Mutex
	claims []heldClaim
	old    *corev1.Service
}

// priorClaims are the claims of earlier attempts; none without a record.
func (r *updateRecord) priorClaims() []heldClaim {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]heldClaim(nil), r.claims...)
}

func (r *updateRecord) attempted(t *allocation, old *corev1.Service) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.claims = append(r.claims, t.claims...)
	r.old = old
}

// Update runs one update of the Service store (the store's Update, with
// the context it is given) and then releases what the stored Service no
// longer holds: its old values the update dropped, and values allocated by
// attempts that did not get stored. Everything the update allocated is
// released when it fails.
func (a *ServiceAllocator) Update(ctx context.Context, update func(context.Context) (runtime.Object, bool, error)) (runtime.Object, bool, error) {
	rec := &updateRecord{}
	out, created, err := update(context.WithValue(ctx, updateRecordKey{}, rec))
	var stored *corev1.Service
	if err == nil {
		stored, _ = out.(*corev1.Service)
	}
	a.settle(ctx, rec, stored)
	return out, created, err
}

// settle releases rec's allocations that stored (nil when nothing was
// stored) does not hold, and what rec's old Service held that stored does
// not.
func (a *ServiceAllocator) settle(ctx context.Context, rec *updateRecord, stored *corev1.Service) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	t := &allocation{claims: rec.claims}
	if stored == nil {
		t.releaseUnless(ctx, nil)
		return
	}
	ips, ports := usedIPs(stored), usedNodePorts(stored)
	t.releaseUnless(ctx, func(c heldClaim) bool {
		if c.pool == &a.ips {
			return ips[c.item]
		}
		return ports[c.item]
	})
	if rec.old != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		a.releaseHeld(rctx, rec.old, stored)
	}
}
