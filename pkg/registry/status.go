package registry

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// StatusREST serves a subresource that updates part of an object (status,
// namespaces/finalize) through Store, a copy of the main store whose
// update strategy keeps the rest.
type StatusREST struct {
	Store *genericregistry.Store
	// WrapUpdate, when set, wraps each update's object info (the control
	// plane turns unappliable patches into 400s with it).
	WrapUpdate func(ctx context.Context, objInfo rest.UpdatedObjectInfo) rest.UpdatedObjectInfo
}

// New returns an empty object of the resource's kind.
func (r *StatusREST) New() runtime.Object { return r.Store.New() }

// Destroy does nothing: the main store owns the shared storage.
func (r *StatusREST) Destroy() {}

// Get returns the whole object, as Kubernetes does for status reads.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.Store.Get(ctx, name, options)
}

// Update writes only the subresource's part of the object; it never
// creates the object.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if r.WrapUpdate != nil {
		objInfo = r.WrapUpdate(ctx, objInfo)
	}
	return r.Store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields tells server-side apply which fields a write here resets.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.Store.GetResetFields()
}

// ConvertToTable renders the object like the main resource does.
func (r *StatusREST) ConvertToTable(ctx context.Context, obj, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.Store.ConvertToTable(ctx, obj, tableOptions)
}
