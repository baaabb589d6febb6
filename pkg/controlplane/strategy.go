package controlplane

import (
	"context"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// strategy is the create/update/delete behaviour shared by every built-in
// resource: defaulting and validation come from the resource's definition,
// and a resource with a status subresource keeps status out of spec writes.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	def *resource
}

func newStrategy(typer runtime.ObjectTyper, def *resource) strategy {
	return strategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator, def: def}
}

func (s strategy) NamespaceScoped() bool                         { return s.def.namespaced }
func (s strategy) AllowCreateOnUpdate(context.Context) bool      { return s.def.allowCreateOnUpdate }
func (s strategy) AllowUnconditionalUpdate(context.Context) bool { return true }
func (s strategy) Canonicalize(runtime.Object)                   {}

func (s strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	if s.def.status {
		clearStatus(obj)
	}
	if s.def.prepareCreate != nil {
		s.def.prepareCreate(obj)
	}
	s.def.hooks.Default(obj)
}

func (s strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	if s.def.status {
		copyStatus(old, obj)
	}
	if s.def.prepareUpdate != nil {
		s.def.prepareUpdate(obj, old)
	}
	s.def.hooks.Default(obj)
}

func (s strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return s.def.hooks.Validate(obj)
}

func (s strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return s.def.hooks.ValidateUpdate(obj, old)
}

func (s strategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }

func (s strategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}

// GetResetFields tells server-side apply that a spec write does not own
// status.
func (s strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	if !s.def.status {
		return nil
	}
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(s.def.gv.String()): fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

// statusStrategy applies writes to the status subresource: everything but
// status is kept from the stored object.
type statusStrategy struct{ strategy }

func (s statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	keepAllButStatus(obj, old)
}

func (s statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return s.def.hooks.ValidateUpdate(obj, old)
}

func (s statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(s.def.gv.String()): fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("metadata", "labels"),
			fieldpath.MakePathOrDie("metadata", "annotations"),
		),
	}
}

// clearStatus zeroes the Status field: status is written through its own
// subresource, never on create.
func clearStatus(obj runtime.Object) {
	status := reflect.ValueOf(obj).Elem().FieldByName("Status")
	status.Set(reflect.Zero(status.Type()))
}

// keepAllButStatus overwrites every top-level field of obj but metadata and
// status with old's, and resets the metadata a status write may not change.
func keepAllButStatus(obj, old runtime.Object) {
	dst := reflect.ValueOf(obj).Elem()
	src := reflect.ValueOf(old.DeepCopyObject()).Elem()
	for i := range dst.NumField() {
		switch dst.Type().Field(i).Name {
		case "TypeMeta", "ObjectMeta", "Status":
		default:
			dst.Field(i).Set(src.Field(i))
		}
	}
	metav1.ResetObjectMetaForStatus(obj.(metav1.Object), old.(metav1.Object))
}

// copyStatus sets to's Status to from's.
func copyStatus(from, to runtime.Object) {
	src := reflect.ValueOf(from.DeepCopyObject()).Elem().FieldByName("Status")
	reflect.ValueOf(to).Elem().FieldByName("Status").Set(src)
}
