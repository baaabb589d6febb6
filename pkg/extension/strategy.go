package extension

import (
	"context"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// strategy is the one create/update/delete strategy every stored resource
// gets; the resource's optional interfaces decide what it does. It implements
// k8s.io/apiserver's strategy interfaces, so a change of their signatures
// (AllowCreateOnUpdate(ctx)) is absorbed here.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	kind *kind
	// status is true for the /status subresource's copy of the strategy.
	status bool
}

func (s strategy) NamespaceScoped() bool { return !s.kind.clusterScoped }

func (s strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	// As for every built-in resource with a status subresource, status is
	// set by controllers through /status, not by the creator.
	if _, ok := obj.(StatusSubresource); ok {
		newOf(obj).(StatusSubresource).CopyStatusTo(obj)
	}
}

func (s strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	st, ok := obj.(StatusSubresource)
	if !ok {
		return
	}
	if !s.status {
		old.(StatusSubresource).CopyStatusTo(obj)
		return
	}
	// A status update keeps everything of the old object but the status and
	// the request's own metadata bookkeeping (resourceVersion, managedFields).
	merged := old.DeepCopyObject()
	st.CopyStatusTo(merged)
	newMeta, oldMeta := obj.(metav1.Object), merged.(metav1.Object)
	oldMeta.SetResourceVersion(newMeta.GetResourceVersion())
	oldMeta.SetManagedFields(newMeta.GetManagedFields())
	reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(merged).Elem())
}

func (s strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	if v, ok := obj.(CreateValidator); ok {
		return v.ValidateCreate(ctx)
	}
	return nil
}

func (s strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	if s.status {
		return nil
	}
	if v, ok := obj.(UpdateValidator); ok {
		return v.ValidateUpdate(ctx, old)
	}
	if v, ok := obj.(CreateValidator); ok {
		return v.ValidateCreate(ctx)
	}
	return nil
}

func (strategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

func (strategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

func (strategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

func (strategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

func (strategy) Canonicalize(obj runtime.Object) {}

// GetResetFields tells server-side apply which fields each endpoint may not
// set, so that managed fields follow the spec/status split.
func (s strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	if _, ok := s.kind.hub().(StatusSubresource); !ok {
		return nil
	}
	reset := map[fieldpath.APIVersion]*fieldpath.Set{}
	for v := range s.kind.versions {
		apiVersion := fieldpath.APIVersion(fmt.Sprintf("%s/%s", s.kind.group, v))
		if s.status {
			reset[apiVersion] = fieldpath.NewSet(fieldpath.MakePathOrDie("spec"))
		} else {
			reset[apiVersion] = fieldpath.NewSet(fieldpath.MakePathOrDie("status"))
		}
	}
	return reset
}

// attrs gives labels and selectable fields to the storage layer's filters.
func (s strategy) attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("%s attributes: %w", s.kind.name, err)
	}
	set := fields.Set{"metadata.name": m.GetName()}
	if !s.kind.clusterScoped {
		set["metadata.namespace"] = m.GetNamespace()
	}
	if fs, ok := obj.(FieldSelectable); ok {
		for k, v := range fs.SelectableFields() {
			set[k] = v
		}
	}
	return labels.Set(m.GetLabels()), set, nil
}
