package nsdelete

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/klog/v2"
)

// leftover describes the objects of one resource type still in a namespace
// after the controller asked for their deletion.
type leftover struct {
	// objects is how many objects remain.
	objects int
	// finalizers counts remaining objects per metadata.finalizers entry.
	finalizers map[string]int
}

// contentDeleter removes the objects of one resource type from a namespace.
type contentDeleter struct {
	metadata metadata.Interface
	// typeGone is called when the server no longer serves a discovered type,
	// so the next discovery round can forget it.
	typeGone func()
}

// deleteAll deletes every object of r in namespace and reports what is left.
// Like Kubernetes, it prefers one deletecollection call, falls back to
// deleting object by object, and lets dependants go in the background.
func (d *contentDeleter) deleteAll(ctx context.Context, r deletableResource, namespace string) (leftover, error) {
	client := d.metadata.Resource(r.gvr).Namespace(namespace)
	background := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &background}

	collectionDeleted := false
	if r.deleteCollection {
		err := client.DeleteCollection(ctx, opts, metav1.ListOptions{})
		switch {
		case err == nil:
			collectionDeleted = true
		case apierrors.IsNotFound(err):
			d.typeGone()
			return leftover{}, nil
		case apierrors.IsMethodNotSupported(err):
			// Discovery advertised the verb but the server refuses it;
			// deleting one by one still works.
		default:
			return leftover{}, fmt.Errorf("delete collection of %s in namespace %q: %w", r.gvr.GroupResource(), namespace, err)
		}
	}
	if !r.list {
		// Nothing to enumerate: trust deletecollection, as Kubernetes does.
		return leftover{}, nil
	}
	items, gone, err := d.list(ctx, client, r, namespace)
	if gone || err != nil {
		return leftover{}, err
	}
	if !collectionDeleted {
		deleted, err := deleteEach(ctx, client, r, namespace, items, opts)
		if err != nil {
			return leftover{}, err
		}
		if deleted > 0 {
			// See what the deletions left behind.
			if items, gone, err = d.list(ctx, client, r, namespace); gone || err != nil {
				return leftover{}, err
			}
		}
	}
	return remaining(ctx, r, namespace, items)
}

// list returns the objects of r in namespace. gone is true when the type is
// no longer served.
func (d *contentDeleter) list(ctx context.Context, client metadata.ResourceInterface, r deletableResource, namespace string) (items []metav1.PartialObjectMetadata, gone bool, err error) {
	list, err := client.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		d.typeGone()
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("list %s in namespace %q: %w", r.gvr.GroupResource(), namespace, err)
	}
	return list.Items, false, nil
}

// deleteEach deletes the given objects of r that are not already being
// deleted, and says how many it deleted.
func deleteEach(ctx context.Context, client metadata.ResourceInterface, r deletableResource, namespace string, items []metav1.PartialObjectMetadata, opts metav1.DeleteOptions) (int, error) {
	deleted := 0
	for _, item := range items {
		if item.DeletionTimestamp != nil {
			continue
		}
		err := client.Delete(ctx, item.Name, opts)
		if err != nil && !apierrors.IsNotFound(err) {
			return deleted, fmt.Errorf("delete %s %s/%s: %w", r.gvr.GroupResource(), namespace, item.Name, err)
		}
		deleted++
	}
	return deleted, nil
}

// remaining sums up the objects of r still in namespace after deletion.
// Objects that are being deleted (waiting on finalizers or a grace period) are
// expected and only counted; objects without a deletionTimestamp were not
// deleted at all (or were created meanwhile), which is an error so the
// condition shows it.
func remaining(ctx context.Context, r deletableResource, namespace string, items []metav1.PartialObjectMetadata) (leftover, error) {
	left := leftover{objects: len(items), finalizers: map[string]int{}}
	undeleted := 0
	for _, item := range items {
		for _, f := range item.Finalizers {
			left.finalizers[f]++
		}
		if item.DeletionTimestamp == nil {
			undeleted++
		}
	}
	if undeleted > 0 {
		return left, fmt.Errorf("%d objects of %s remain in namespace %q after deletion", undeleted, r.gvr.GroupResource(), namespace)
	}
	if left.objects > 0 {
		klog.FromContext(ctx).V(4).Info("Namespace content still terminating", "namespace", namespace, "resource", r.gvr, "count", left.objects)
	}
	return left, nil
}
