package controlplane

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// builtinHooks validates and defaults the built-in types.
type builtinHooks struct{ namespaced func(runtime.Object) bool }

func (s *Server) hooks() hooks { return builtinHooks{} }

func (builtinHooks) Default(runtime.Object) {}

func (builtinHooks) Validate(obj runtime.Object) field.ErrorList {
	m, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	return validation.ValidateObjectMetaAccessor(m, m.GetNamespace() != "", validation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

func (builtinHooks) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	m, _ := meta.Accessor(obj)
	o, _ := meta.Accessor(old)
	return validation.ValidateObjectMetaAccessorUpdate(m, o, field.NewPath("metadata"))
}
