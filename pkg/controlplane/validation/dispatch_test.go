package validation

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestDispatchCoversEveryKind checks that Validate reaches the kind-specific
// rules for every served kind: an empty object of each kind must at least
// fail on its name.
func TestDispatchCoversEveryKind(t *testing.T) {
	kinds := []runtime.Object{
		validNamespace(), validService(), validEndpoints(), validConfigMap(), validSecret(),
		validServiceAccount(), validEvent(), validEndpointSlice(), validLease(),
		validRole(), validRoleBinding(), validClusterRole(), validClusterRoleBinding(),
		validValidatingWebhookConfiguration(), validMutatingWebhookConfiguration(),
		validValidatingAdmissionPolicy(), validValidatingAdmissionPolicyBinding(),
		validMutatingAdmissionPolicy(), validMutatingAdmissionPolicyBinding(),
		validFlowSchema(), validPriorityLevel(),
	}
	if len(kinds) != len(validators) {
		t.Fatalf("test covers %d kinds, package registers %d", len(kinds), len(validators))
	}
	for _, obj := range kinds {
		t.Run(fmt.Sprintf("%T", obj), func(t *testing.T) {
			if !Supports(obj) {
				t.Fatalf("%T not supported", obj)
			}
			expectErrors(t, Validate(obj))
			old := obj.DeepCopyObject()
			for _, o := range []runtime.Object{obj, old} {
				o.(metav1.Object).SetResourceVersion("1")
			}
			expectErrors(t, ValidateUpdate(obj, old))

			obj.(metav1.Object).SetName("")
			expectErrors(t, Validate(obj), req("metadata.name"))
		})
	}
}

func TestDispatchUnknownAndMismatch(t *testing.T) {
	unknown := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "Not Valid"}}
	if Supports(unknown) {
		t.Fatal("pods must not be supported")
	}
	expectErrors(t, Validate(unknown))
	expectErrors(t, ValidateUpdate(unknown, unknown))

	got := ValidateUpdate(validConfigMap(), validSecret())
	expectErrors(t, got, wantErr{field.ErrorTypeInternal, "<nil>"})
}
