package controlplane

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// hooks are the type-specific parts of a built-in resource: its defaults
// and its validation.
type hooks interface {
	Default(obj runtime.Object)
	Validate(obj runtime.Object) field.ErrorList
	ValidateUpdate(obj, old runtime.Object) field.ErrorList
}

// kindFuncs is what a resource needs of its Go types: empty objects and
// lists for the store, and the hooks of the kind.
type kindFuncs struct {
	newFunc, newListFunc func() runtime.Object
	hooks                hooks
}

// kind binds a resource to its Go type T, its list type L and the
// defaulting and validation of T (pkg/controlplane/defaults and
// validation; upstream's live on internal types in k8s.io/kubernetes).
// The compiler checks that the four agree, so no kind can be served
// without both; T and L are named, the rest is inferred:
//
//	kind[corev1.Service, corev1.ServiceList](defaults.SetDefaultsService,
//		validation.ValidateService, validation.ValidateServiceUpdate)
func kind[T, L any, PT interface {
	*T
	runtime.Object
}, PL interface {
	*L
	runtime.Object
}](setDefaults func(PT), validate func(PT) field.ErrorList, validateUpdate func(obj, old PT) field.ErrorList) kindFuncs {
	return kindFuncs{
		newFunc:     func() runtime.Object { return PT(new(T)) },
		newListFunc: func() runtime.Object { return PL(new(L)) },
		hooks:       typedHooks[PT]{setDefaults, validate, validateUpdate},
	}
}

// typedHooks adapts a kind's typed functions to runtime.Object. The store
// only hands it objects of its own kind (newFunc makes them), so the
// assertions hold; an update from another type is an internal error
// rather than a panic.
type typedHooks[T runtime.Object] struct {
	setDefaults    func(T)
	validate       func(T) field.ErrorList
	validateUpdate func(obj, old T) field.ErrorList
}

func (h typedHooks[T]) Default(obj runtime.Object) { h.setDefaults(obj.(T)) }

func (h typedHooks[T]) Validate(obj runtime.Object) field.ErrorList { return h.validate(obj.(T)) }

func (h typedHooks[T]) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	o, ok := old.(T)
	if !ok {
		return field.ErrorList{field.InternalError(nil, fmt.Errorf("update of %s from an object of type %T", reflect.TypeFor[T](), old))}
	}
	return h.validateUpdate(obj.(T), o)
}
