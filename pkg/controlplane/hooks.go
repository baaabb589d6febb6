package controlplane

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aggkit/aggkit/pkg/controlplane/defaults"
	"github.com/aggkit/aggkit/pkg/controlplane/validation"
)

// builtinHooks defaults and validates the built-in v1 types with this
// project's own rules (Kubernetes' live on internal types in
// k8s.io/kubernetes).
type builtinHooks struct{}

func (builtinHooks) Default(obj runtime.Object) { defaults.Default(obj) }

func (builtinHooks) Validate(obj runtime.Object) field.ErrorList { return validation.Validate(obj) }

func (builtinHooks) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	return validation.ValidateUpdate(obj, old)
}
