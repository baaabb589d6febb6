package escalation

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// writeGuard decides whether the user on ctx may store obj.
type writeGuard interface {
	admit(ctx context.Context, obj runtime.Object) error
}

// Storage is a generic registry store whose Create and Update first check
// that the write does not grant the user permissions they lack. Everything
// else (get, list, watch, delete, tables, field managers) is the store's.
type Storage struct {
	*genericregistry.Store
	guard writeGuard
}

var (
	_ rest.StandardStorage     = &Storage{}
	_ rest.Scoper              = &Storage{}
	_ rest.ResetFieldsStrategy = &Storage{}
)

// Create checks obj, then stores it.
func (s *Storage) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if err := s.guard.admit(ctx, obj); err != nil {
		return nil, err
	}
	return s.Store.Create(ctx, obj, createValidation, options)
}

// Update checks the object that results from applying objInfo to the stored
// one (inside the store's compare-and-swap loop, so a concurrent change is
// checked again), then stores it.
func (s *Storage) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	guarded := rest.WrapUpdatedObjectInfo(objInfo, func(ctx context.Context, obj, old runtime.Object) (runtime.Object, error) {
		// The garbage collector must be able to finish deleting any RBAC
		// object, whatever the permissions of the user that runs it.
		if onlyGCFieldsChanged(obj, old) {
			return obj, nil
		}
		if err := s.guard.admit(ctx, obj); err != nil {
			return nil, err
		}
		return obj, nil
	})
	return s.Store.Update(ctx, name, guarded, createValidation, updateValidation, forceAllowCreate, options)
}

// onlyGCFieldsChanged reports whether obj differs from old at most in
// ownerReferences, finalizers, selfLink and managedFields.
func onlyGCFieldsChanged(obj, old runtime.Object) bool {
	if old == nil {
		return false
	}
	oldMeta, err := meta.Accessor(old)
	if err != nil || oldMeta.GetResourceVersion() == "" {
		// No stored object: this update creates one.
		return false
	}
	copied := obj.DeepCopyObject()
	copiedMeta, err := meta.Accessor(copied)
	if err != nil {
		return false
	}
	copiedMeta.SetOwnerReferences(oldMeta.GetOwnerReferences())
	copiedMeta.SetFinalizers(oldMeta.GetFinalizers())
	copiedMeta.SetSelfLink(oldMeta.GetSelfLink())
	copiedMeta.SetManagedFields(oldMeta.GetManagedFields())
	return apiequality.Semantic.DeepEqual(copied, old)
}
