package controlplane

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/aggkit/aggkit/pkg/controlplane/defaults"
	"github.com/aggkit/aggkit/pkg/controlplane/validation"
	"github.com/aggkit/aggkit/pkg/registry"
)

// namespaceResource declares namespaces. What sets them apart (wrap,
// namespaceLifecycle): deletion goes through the Terminating phase while
// the namespace deletion controller empties them, and spec.finalizers
// change only through the finalize subresource.
func namespaceResource() *resource {
	return &resource{gv: corev1.SchemeGroupVersion, plural: "namespaces", singular: "namespace", shortNames: []string{"ns"}, status: true,
		kindFuncs: kind[corev1.Namespace, corev1.NamespaceList](defaults.SetDefaultsNamespace, validation.ValidateNamespace, validation.ValidateNamespaceUpdate),
		columns:   []registry.Column{{Name: "Status", Type: "string", Cell: func(o runtime.Object) any { return string(o.(*corev1.Namespace).Status.Phase) }}},
		// Every namespace starts with the finalizer that the namespace
		// deletion controller removes once the namespace is empty.
		prepareCreate: func(obj runtime.Object) {
			ns := obj.(*corev1.Namespace)
			if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
				ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
			}
		},
		// spec.finalizers change only through namespaces/finalize.
		prepareUpdate: func(obj, old runtime.Object) {
			obj.(*corev1.Namespace).Spec.Finalizers = old.(*corev1.Namespace).Spec.Finalizers
		},
		wrap: namespaceLifecycle,
	}
}

// namespaceLifecycle serves namespaces through namespaceREST and adds
// namespaces/finalize.
func namespaceLifecycle(deps *dependencies, plain *REST, paths map[string]rest.Storage) error {
	finalize := finalizeStrategy{newStrategy(deps.scheme, plain.def)}
	finalizeStore := *plain.Store
	finalizeStore.UpdateStrategy = finalize
	finalizeStore.ResetFieldsStrategy = finalize
	paths["namespaces"] = &namespaceREST{REST: plain}
	paths["namespaces/finalize"] = &registry.StatusREST{Store: &finalizeStore, WrapUpdate: patchErrors}
	return nil
}

// finalizeStrategy takes only spec.finalizers from a write to
// namespaces/finalize.
type finalizeStrategy struct{ strategy }

func (finalizeStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	ns, oldNS := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	finalizers := ns.Spec.Finalizers
	*ns = *oldNS.DeepCopy()
	ns.Spec.Finalizers = finalizers
}

func (s finalizeStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("status"), fieldpath.MakePathOrDie("metadata")),
	}
}

// namespaceREST deletes a namespace in two steps, as kube-apiserver does:
// the first delete marks it Terminating; the real delete happens once its
// finalizers are gone.
type namespaceREST struct{ *REST }

func (r *namespaceREST) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	obj, err := r.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, false, err
	}
	ns := obj.(*corev1.Namespace)
	if options == nil {
		options = metav1.NewDeleteOptions(0)
	}
	if err := checkPreconditions(ns, options.Preconditions); err != nil {
		return nil, false, err
	}
	if len(ns.Spec.Finalizers) == 0 {
		return r.Store.Delete(ctx, name, deleteValidation, options)
	}
	if deleteValidation != nil {
		if err := deleteValidation(ctx, ns); err != nil {
			return nil, false, err
		}
	}
	key, err := r.KeyFunc(ctx, name)
	if err != nil {
		return nil, false, err
	}
	out := &corev1.Namespace{}
	err = r.Storage.GuaranteedUpdate(ctx, key, out, false, &storage.Preconditions{UID: &ns.UID},
		storage.SimpleUpdate(func(existing runtime.Object) (runtime.Object, error) {
			current := existing.(*corev1.Namespace).DeepCopy()
			if current.DeletionTimestamp == nil {
				now := metav1.Now()
				current.DeletionTimestamp = &now
			}
			current.Status.Phase = corev1.NamespaceTerminating
			return current, nil
		}), len(options.DryRun) > 0, nil)
	if err != nil {
		return nil, false, err
	}
	return out, false, nil
}

// DeleteCollection deletes each matching namespace through Delete, so
// none skips the Terminating phase.
func (r *namespaceREST) DeleteCollection(ctx context.Context, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions, listOptions *metainternalversion.ListOptions) (runtime.Object, error) {
	listed, err := r.List(ctx, listOptions)
	if err != nil {
		return nil, err
	}
	list := listed.(*corev1.NamespaceList)
	for i := range list.Items {
		if _, _, err := r.Delete(ctx, list.Items[i].Name, deleteValidation, options); err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return list, nil
}

func checkPreconditions(ns *corev1.Namespace, p *metav1.Preconditions) error {
	if p == nil {
		return nil
	}
	if p.UID != nil && *p.UID != ns.UID {
		return apierrors.NewConflict(corev1.Resource("namespaces"), ns.Name,
			fmt.Errorf("precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, ns.UID))
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != ns.ResourceVersion {
		return apierrors.NewConflict(corev1.Resource("namespaces"), ns.Name,
			fmt.Errorf("precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, ns.ResourceVersion))
	}
	return nil
}
