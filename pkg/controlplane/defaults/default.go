package defaults

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
)

// defaulters is filled once at init and only read afterwards.
var defaulters = map[reflect.Type]func(runtime.Object){}

func register[T runtime.Object](fn func(T)) {
	defaulters[reflect.TypeFor[T]()] = func(obj runtime.Object) { fn(obj.(T)) }
}

func init() {
	register(SetDefaultsNamespace)
	register(SetDefaultsService)
	register(SetDefaultsEndpoints)
	register(SetDefaultsConfigMap)
	register(SetDefaultsSecret)
	register(SetDefaultsServiceAccount)
	register(SetDefaultsEvent)
	register(SetDefaultsEndpointSlice)
	register(SetDefaultsLease)
	register(SetDefaultsRole)
	register(SetDefaultsRoleBinding)
	register(SetDefaultsClusterRole)
	register(SetDefaultsClusterRoleBinding)
	register(SetDefaultsValidatingWebhookConfiguration)
	register(SetDefaultsMutatingWebhookConfiguration)
	register(SetDefaultsValidatingAdmissionPolicy)
	register(SetDefaultsValidatingAdmissionPolicyBinding)
	register(SetDefaultsMutatingAdmissionPolicy)
	register(SetDefaultsMutatingAdmissionPolicyBinding)
	register(SetDefaultsFlowSchema)
	register(SetDefaultsPriorityLevelConfiguration)
}

// Default fills in defaults for any supported kind and does nothing for
// others.
func Default(obj runtime.Object) {
	if fn, ok := defaulters[reflect.TypeOf(obj)]; ok {
		fn(obj)
	}
}

// ptrTo returns a pointer to a copy of v.
func ptrTo[T any](v T) *T { return &v }
