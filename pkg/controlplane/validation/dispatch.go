package validation

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// kindValidator holds the create and update checks of one kind behind
// runtime.Object so one strategy can serve every kind.
type kindValidator struct {
	create func(obj runtime.Object) field.ErrorList
	update func(obj, old runtime.Object) field.ErrorList
}

// forKind adapts a typed pair of functions; the type assertions cannot fail
// because validators is keyed by the same type.
func forKind[T runtime.Object](create func(T) field.ErrorList, update func(T, T) field.ErrorList) kindValidator {
	return kindValidator{
		create: func(obj runtime.Object) field.ErrorList { return create(obj.(T)) },
		update: func(obj, old runtime.Object) field.ErrorList { return update(obj.(T), old.(T)) },
	}
}

// validators is filled once at init and only read afterwards.
var validators = map[reflect.Type]kindValidator{}

func register[T runtime.Object](create func(T) field.ErrorList, update func(T, T) field.ErrorList) {
	validators[reflect.TypeFor[T]()] = forKind(create, update)
}

func init() {
	register(ValidateNamespace, ValidateNamespaceUpdate)
	register(ValidateService, ValidateServiceUpdate)
	register(ValidateEndpoints, ValidateEndpointsUpdate)
	register(ValidateConfigMap, ValidateConfigMapUpdate)
	register(ValidateSecret, ValidateSecretUpdate)
	register(ValidateServiceAccount, ValidateServiceAccountUpdate)
	register(ValidateEvent, ValidateEventUpdate)
	register(ValidateEndpointSlice, ValidateEndpointSliceUpdate)
	register(ValidateLease, ValidateLeaseUpdate)
	register(ValidateRole, ValidateRoleUpdate)
	register(ValidateRoleBinding, ValidateRoleBindingUpdate)
	register(ValidateClusterRole, ValidateClusterRoleUpdate)
	register(ValidateClusterRoleBinding, ValidateClusterRoleBindingUpdate)
	register(ValidateValidatingWebhookConfiguration, ValidateValidatingWebhookConfigurationUpdate)
	register(ValidateMutatingWebhookConfiguration, ValidateMutatingWebhookConfigurationUpdate)
	register(ValidateValidatingAdmissionPolicy, ValidateValidatingAdmissionPolicyUpdate)
	register(ValidateValidatingAdmissionPolicyBinding, ValidateValidatingAdmissionPolicyBindingUpdate)
	register(ValidateMutatingAdmissionPolicy, ValidateMutatingAdmissionPolicyUpdate)
	register(ValidateMutatingAdmissionPolicyBinding, ValidateMutatingAdmissionPolicyBindingUpdate)
	register(ValidateFlowSchema, ValidateFlowSchemaUpdate)
	register(ValidatePriorityLevelConfiguration, ValidatePriorityLevelConfigurationUpdate)
}

// Supports reports whether obj is one of the kinds this package validates.
func Supports(obj runtime.Object) bool {
	_, ok := validators[reflect.TypeOf(obj)]
	return ok
}

// Validate checks a new object of any supported kind. It returns nil for
// kinds it does not know; use Supports to tell the two apart.
func Validate(obj runtime.Object) field.ErrorList {
	v, ok := validators[reflect.TypeOf(obj)]
	if !ok {
		return nil
	}
	return v.create(obj)
}

// ValidateUpdate checks an update of any supported kind. obj and old must be
// the same Go type; a mismatch is reported as an internal error. Unknown kinds
// yield nil.
func ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	v, ok := validators[reflect.TypeOf(obj)]
	if !ok {
		return nil
	}
	if reflect.TypeOf(old) != reflect.TypeOf(obj) {
		return field.ErrorList{field.InternalError(nil, fmt.Errorf("update of %T from an object of type %T", obj, old))}
	}
	return v.update(obj, old)
}
