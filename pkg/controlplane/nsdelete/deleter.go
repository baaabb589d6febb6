package nsdelete

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// contentRemainingError says a namespace still holds objects that are being
// deleted; the controller retries it later without treating it as a failure.
type contentRemainingError struct {
	namespace string
	objects   int
}

func (e *contentRemainingError) Error() string {
	return fmt.Sprintf("namespace %q still has %d objects being deleted", e.namespace, e.objects)
}

// namespaceDeleter runs the deletion of one namespace: content, conditions,
// finalizer, and the namespace itself.
type namespaceDeleter struct {
	namespaces corev1client.NamespaceInterface
	catalog    *resourceCatalog
	content    *contentDeleter
	clock      clock.PassiveClock
}

// delete drives one deletion pass over the namespace called name. It returns
// a *contentRemainingError while objects are still going away.
func (d *namespaceDeleter) delete(ctx context.Context, name string) error {
	logger := klog.FromContext(ctx)
	// Read the namespace from the server, not the informer: finalizing on a
	// stale copy could drop finalizers another party just added.
	readAt := d.clock.Now()
	ns, err := d.namespaces.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %q: %w", name, err)
	}
	if ns.DeletionTimestamp == nil {
		return nil
	}
	if ns, err = d.markTerminating(ctx, ns); err != nil {
		return err
	}
	if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		// Our part is done; other finalizers belong to someone else.
		if len(ns.Spec.Finalizers) == 0 {
			return d.deleteNamespace(ctx, ns)
		}
		return nil
	}

	report := d.deleteContent(ctx, ns, discoveryNotBefore(ns, readAt))
	if updated, err := d.updateConditions(ctx, ns, report.conditions()); err != nil {
		// Conditions only inform; the next pass writes them again.
		logger.Error(err, "Could not update namespace deletion conditions", "namespace", name)
	} else {
		ns = updated
	}
	if err := report.err(); err != nil {
		return fmt.Errorf("delete content of namespace %q: %w", name, err)
	}
	if n := report.objectsRemaining(); n > 0 {
		return &contentRemainingError{namespace: name, objects: n}
	}

	ns, err = d.finalize(ctx, ns)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ns.Spec.Finalizers) > 0 {
		logger.V(2).Info("Namespace content deleted, waiting for other finalizers", "namespace", name, "finalizers", ns.Spec.Finalizers)
		return nil
	}
	return d.deleteNamespace(ctx, ns)
}

// discoveryNotBefore is the earliest discovery snapshot that may be trusted
// for ns: one taken after the deletion, so no type that could hold its objects
// is missing. deletionTimestamp has whole-second precision, so the deletion
// happened before its next second; and it certainly happened before we read
// the namespace at readAt.
func discoveryNotBefore(ns *corev1.Namespace, readAt time.Time) time.Time {
	next := ns.DeletionTimestamp.Add(time.Second)
	if readAt.Before(next) {
		return readAt
	}
	return next
}

// deleteContent deletes every discovered resource type in ns, recording what
// failed and what remains. Discovery failures are not fatal: whatever was
// discovered is still deleted.
func (d *namespaceDeleter) deleteContent(ctx context.Context, ns *corev1.Namespace, notBefore time.Time) *passReport {
	snap := d.catalog.snapshot(ctx, notBefore)
	report := newPassReport()
	report.discoveryErr = snap.discoveryErr
	report.parseErr = snap.parseErr
	for _, r := range snap.resources {
		left, err := d.content.deleteAll(ctx, r, ns.Name)
		report.add(r.gvr, left, err)
	}
	return report
}

// markTerminating sets phase Terminating if the server has not, as Kubernetes'
// controller does, so clients see the namespace going away.
func (d *namespaceDeleter) markTerminating(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
	return d.retryOnConflict(ctx, ns, func(ns *corev1.Namespace) (*corev1.Namespace, error) {
		if ns.Status.Phase == corev1.NamespaceTerminating {
			return ns, nil
		}
		ns = ns.DeepCopy()
		ns.Status.Phase = corev1.NamespaceTerminating
		return d.namespaces.UpdateStatus(ctx, ns, metav1.UpdateOptions{})
	})
}

// updateConditions writes the desired conditions when they differ from the
// namespace's current ones.
func (d *namespaceDeleter) updateConditions(ctx context.Context, ns *corev1.Namespace, desired []corev1.NamespaceCondition) (*corev1.Namespace, error) {
	return d.retryOnConflict(ctx, ns, func(ns *corev1.Namespace) (*corev1.Namespace, error) {
		merged, changed := mergeConditions(ns.Status.Conditions, desired, metav1.NewTime(d.clock.Now()))
		if !changed {
			return ns, nil
		}
		ns = ns.DeepCopy()
		ns.Status.Conditions = merged
		return d.namespaces.UpdateStatus(ctx, ns, metav1.UpdateOptions{})
	})
}

// finalize removes the kubernetes finalizer through the finalize subresource.
func (d *namespaceDeleter) finalize(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
	return d.retryOnConflict(ctx, ns, func(ns *corev1.Namespace) (*corev1.Namespace, error) {
		if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
			return ns, nil
		}
		ns = ns.DeepCopy()
		ns.Spec.Finalizers = slices.DeleteFunc(ns.Spec.Finalizers, func(f corev1.FinalizerName) bool {
			return f == corev1.FinalizerKubernetes
		})
		klog.FromContext(ctx).V(2).Info("Finalizing namespace", "namespace", ns.Name)
		return d.namespaces.Finalize(ctx, ns, metav1.UpdateOptions{})
	})
}

// deleteNamespace deletes the finalized namespace. The UID precondition keeps
// a namespace recreated under the same name safe.
func (d *namespaceDeleter) deleteNamespace(ctx context.Context, ns *corev1.Namespace) error {
	uid := ns.UID
	err := d.namespaces.Delete(ctx, ns.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		// Gone already (the server may delete on finalize), or replaced.
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete namespace %q: %w", ns.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Namespace deleted", "namespace", ns.Name)
	return nil
}

// retryOnConflict applies update to ns, and on a conflict re-reads the
// namespace and applies it again.
func (d *namespaceDeleter) retryOnConflict(ctx context.Context, ns *corev1.Namespace, update func(*corev1.Namespace) (*corev1.Namespace, error)) (*corev1.Namespace, error) {
	current := ns
	var result *corev1.Namespace
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if current == nil {
			latest, err := d.namespaces.Get(ctx, ns.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			current = latest
		}
		updated, err := update(current)
		if err != nil {
			current = nil
			return err
		}
		result = updated
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update namespace %q: %w", ns.Name, err)
	}
	return result, nil
}
