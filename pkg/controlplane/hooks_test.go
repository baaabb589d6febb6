package controlplane

import (
	"reflect"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestEveryResourceIsValidated checks that every served built-in resource
// reaches its kind's own validation: an object without a name must fail on
// metadata.name on create, and an update from another kind must be refused.
// A resource declared without kind(...) fails here and when storage is built.
func TestEveryResourceIsValidated(t *testing.T) {
	defs := storedResources()
	for _, d := range defs {
		t.Run(d.plural, func(t *testing.T) {
			if d.hooks == nil || d.newFunc == nil || d.newListFunc == nil {
				t.Fatal("declared without kind(...)")
			}
			obj := d.newFunc()
			d.hooks.Default(obj)
			if !hasError(d.hooks.Validate(obj), field.ErrorTypeRequired, "metadata.name") {
				t.Errorf("an unnamed %T passed validation: %v", obj, d.hooks.Validate(obj))
			}
			other := &corev1.Pod{}
			if !hasError(d.hooks.ValidateUpdate(obj, other), field.ErrorTypeInternal, "<nil>") {
				t.Errorf("update of %T from a Pod not refused", obj)
			}
		})
	}
}

// TestResourceWithoutKindIsRefused checks the run-time half of the guard:
// storage is not built for a resource that has no defaults and validation.
func TestResourceWithoutKindIsRefused(t *testing.T) {
	d := &resource{gv: corev1.SchemeGroupVersion, plural: "pods", singular: "pod", namespaced: true}
	if _, err := d.storage(&dependencies{scheme: runtime.NewScheme()}); err == nil {
		t.Fatal("storage built for a resource declared without kind(...)")
	}
}

func hasError(errs field.ErrorList, typ field.ErrorType, path string) bool {
	for _, e := range errs {
		if e.Type == typ && e.Field == path {
			return true
		}
	}
	return false
}

// hooksFor finds the hooks of the served resource of obj's Go type.
func hooksFor(t *testing.T, obj runtime.Object) hooks {
	t.Helper()
	for _, d := range storedResources() {
		if reflect.TypeOf(d.newFunc()) == reflect.TypeOf(obj) {
			return d.hooks
		}
	}
	t.Fatalf("no served resource of type %T", obj)
	return nil
}

// TestDefaultedObjectsValidate checks that minimal client manifests become
// valid once defaulted, which is the contract between
// packages defaults and validation as kind binds them.
func TestDefaultedObjectsValidate(t *testing.T) {
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "a"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}, Selector: map[string]string{"app": "web"}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "np", Namespace: "a"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.0.0.1", Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080}}}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "a"}, StringData: map[string]string{"k": "v"}},
		&corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "a"}, Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "127.0.0.1"}}, Ports: []corev1.EndpointPort{{Port: 8080}}}}},
		&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "a"}, AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"127.0.0.1"}}}, Ports: []discoveryv1.EndpointPort{{Port: ptrTo(int32(8080))}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}},
		&admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "w"}, Webhooks: []admissionv1.ValidatingWebhook{{
			Name: "w.example.com", ClientConfig: admissionv1.WebhookClientConfig{URL: ptrTo("https://127.0.0.1:9443/")},
			SideEffects: ptrTo(admissionv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}}}},
		&flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: "f"}, Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "p"}}},
		&flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
			Type: flowcontrolv1.PriorityLevelEnablementLimited, Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeQueue, Queuing: &flowcontrolv1.QueuingConfiguration{}}}}},
	}
	for _, obj := range objs {
		h := hooksFor(t, obj)
		h.Default(obj)
		if errs := h.Validate(obj); len(errs) > 0 {
			t.Errorf("%T invalid after defaulting: %v", obj, errs)
		}
	}
}
