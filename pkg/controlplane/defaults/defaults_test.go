package defaults

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
	"k8s.io/apimachinery/pkg/util/intstr"
)

// setDefaults calls the SetDefaults function of obj's kind.
func setDefaults(t *testing.T, obj runtime.Object) {
	t.Helper()
	switch o := obj.(type) {
	case *corev1.Namespace:
		SetDefaultsNamespace(o)
	case *corev1.Service:
		SetDefaultsService(o)
	case *corev1.Endpoints:
		SetDefaultsEndpoints(o)
	case *corev1.Secret:
		SetDefaultsSecret(o)
	case *discoveryv1.EndpointSlice:
		SetDefaultsEndpointSlice(o)
	case *rbacv1.RoleBinding:
		SetDefaultsRoleBinding(o)
	case *rbacv1.ClusterRoleBinding:
		SetDefaultsClusterRoleBinding(o)
	case *admissionv1.ValidatingWebhookConfiguration:
		SetDefaultsValidatingWebhookConfiguration(o)
	case *admissionv1.MutatingWebhookConfiguration:
		SetDefaultsMutatingWebhookConfiguration(o)
	case *admissionv1.ValidatingAdmissionPolicy:
		SetDefaultsValidatingAdmissionPolicy(o)
	case *admissionv1.ValidatingAdmissionPolicyBinding:
		SetDefaultsValidatingAdmissionPolicyBinding(o)
	case *flowcontrolv1.FlowSchema:
		SetDefaultsFlowSchema(o)
	case *flowcontrolv1.PriorityLevelConfiguration:
		SetDefaultsPriorityLevelConfiguration(o)
	default:
		t.Fatalf("no SetDefaults for %T in this test", obj)
	}
}

// TestDefault runs each kind's SetDefaults and compares with the fully
// spelled-out expected object.
func TestDefault(t *testing.T) {
	now := metav1.Now()
	cases := []struct {
		name     string
		in, want runtime.Object
	}{
		{
			name: "namespace on create",
			in:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}},
			want: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"},
				Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
		},
		{
			name: "namespace finalized by the controller keeps no finalizers",
			in:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: now}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
			want: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: now}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
		},
		{
			name: "service without cluster IP",
			in: &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
				{Port: 80}, {Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
			}}},
			want: &corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
				Ports: []corev1.ServicePort{
					{Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)},
					{Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
				},
				InternalTrafficPolicy: ptrTo(corev1.ServiceInternalTrafficPolicyCluster),
				IPFamilyPolicy:        ptrTo(corev1.IPFamilyPolicySingleStack),
				IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
			}},
		},
		{
			name: "NodePort service with an IPv6 clusterIP and ClientIP affinity",
			in: &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "fd00::1",
				SessionAffinity: corev1.ServiceAffinityClientIP, Ports: []corev1.ServicePort{{Port: 80}}}},
			want: &corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, ClusterIP: "fd00::1", ClusterIPs: []string{"fd00::1"},
				SessionAffinity:       corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptrTo(int32(10800))}},
				Ports:                 []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)}},
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
				InternalTrafficPolicy: ptrTo(corev1.ServiceInternalTrafficPolicyCluster),
				IPFamilyPolicy:        ptrTo(corev1.IPFamilyPolicySingleStack),
				IPFamilies:            []corev1.IPFamily{corev1.IPv6Protocol},
			}},
		},
		{
			name: "ExternalName service gets no cluster fields",
			in:   &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com"}},
			want: &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com",
				SessionAffinity: corev1.ServiceAffinityNone}},
		},
		{
			name: "secret type and stringData",
			in: &corev1.Secret{Data: map[string][]byte{"a": []byte("1"), "b": []byte("old")},
				StringData: map[string]string{"b": "new", "c": "3"}},
			want: &corev1.Secret{Type: corev1.SecretTypeOpaque,
				Data: map[string][]byte{"a": []byte("1"), "b": []byte("new"), "c": []byte("3")}},
		},
		{
			name: "endpoints port protocol",
			in:   &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80}}}}},
			want: &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80, Protocol: corev1.ProtocolTCP}}}}},
		},
		{
			name: "endpointslice port protocol and name",
			in:   &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Port: ptrTo(int32(80))}}},
			want: &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Port: ptrTo(int32(80)), Name: ptrTo(""), Protocol: ptrTo(corev1.ProtocolTCP)}}},
		},
		{
			name: "rolebinding apiGroups",
			in: &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{
				{Kind: "User", Name: "u"}, {Kind: "Group", Name: "g"}, {Kind: "ServiceAccount", Name: "s"}}},
			want: &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{
				{Kind: "User", APIGroup: rbacv1.GroupName, Name: "u"}, {Kind: "Group", APIGroup: rbacv1.GroupName, Name: "g"},
				{Kind: "ServiceAccount", Name: "s"}}},
		},
		{
			name: "clusterrolebinding roleRef apiGroup",
			in:   &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "r"}},
			want: &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "r"}},
		},
		{
			name: "mutating webhook",
			in: &admissionv1.MutatingWebhookConfiguration{Webhooks: []admissionv1.MutatingWebhook{{
				ClientConfig: admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Name: "s", Namespace: "n"}},
				Rules:        []admissionv1.RuleWithOperations{{}},
			}}},
			want: &admissionv1.MutatingWebhookConfiguration{Webhooks: []admissionv1.MutatingWebhook{{
				ClientConfig:       admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Name: "s", Namespace: "n", Port: ptrTo(int32(443))}},
				Rules:              []admissionv1.RuleWithOperations{{Rule: admissionv1.Rule{Scope: ptrTo(admissionv1.AllScopes)}}},
				FailurePolicy:      ptrTo(admissionv1.Fail),
				MatchPolicy:        ptrTo(admissionv1.Equivalent),
				NamespaceSelector:  &metav1.LabelSelector{},
				ObjectSelector:     &metav1.LabelSelector{},
				TimeoutSeconds:     ptrTo(int32(10)),
				ReinvocationPolicy: ptrTo(admissionv1.NeverReinvocationPolicy),
			}}},
		},
		{
			name: "validating webhook keeps explicit values and sideEffects unset",
			in: &admissionv1.ValidatingWebhookConfiguration{Webhooks: []admissionv1.ValidatingWebhook{{
				FailurePolicy: ptrTo(admissionv1.Ignore), TimeoutSeconds: ptrTo(int32(3)),
			}}},
			want: &admissionv1.ValidatingWebhookConfiguration{Webhooks: []admissionv1.ValidatingWebhook{{
				FailurePolicy: ptrTo(admissionv1.Ignore), TimeoutSeconds: ptrTo(int32(3)),
				MatchPolicy:       ptrTo(admissionv1.Equivalent),
				NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{},
			}}},
		},
		{
			name: "validating admission policy",
			in:   &admissionv1.ValidatingAdmissionPolicy{Spec: admissionv1.ValidatingAdmissionPolicySpec{MatchConstraints: &admissionv1.MatchResources{}}},
			want: &admissionv1.ValidatingAdmissionPolicy{Spec: admissionv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: ptrTo(admissionv1.Fail),
				MatchConstraints: &admissionv1.MatchResources{MatchPolicy: ptrTo(admissionv1.Equivalent),
					NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{}},
			}},
		},
		{
			name: "policy binding paramRef",
			in:   &admissionv1.ValidatingAdmissionPolicyBinding{Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionv1.ParamRef{Name: "p"}}},
			want: &admissionv1.ValidatingAdmissionPolicyBinding{Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
				ParamRef: &admissionv1.ParamRef{Name: "p", ParameterNotFoundAction: ptrTo(admissionv1.DenyAction)}}},
		},
		{
			name: "flowschema precedence",
			in:   &flowcontrolv1.FlowSchema{},
			want: &flowcontrolv1.FlowSchema{Spec: flowcontrolv1.FlowSchemaSpec{MatchingPrecedence: 1000}},
		},
		{
			name: "limited priority level",
			in: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
				Type: flowcontrolv1.PriorityLevelEnablementLimited,
				Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{LimitResponse: flowcontrolv1.LimitResponse{
					Type: flowcontrolv1.LimitResponseTypeQueue, Queuing: &flowcontrolv1.QueuingConfiguration{}}},
			}},
			want: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
				Type: flowcontrolv1.PriorityLevelEnablementLimited,
				Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
					NominalConcurrencyShares: ptrTo(int32(30)), LendablePercent: ptrTo(int32(0)),
					LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeQueue,
						Queuing: &flowcontrolv1.QueuingConfiguration{Queues: 64, HandSize: 8, QueueLengthLimit: 50}}},
			}},
		},
		{
			name: "exempt priority level",
			in: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
				Type: flowcontrolv1.PriorityLevelEnablementExempt, Exempt: &flowcontrolv1.ExemptPriorityLevelConfiguration{}}},
			want: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
				Type: flowcontrolv1.PriorityLevelEnablementExempt, Exempt: &flowcontrolv1.ExemptPriorityLevelConfiguration{
					NominalConcurrencyShares: ptrTo(int32(0)), LendablePercent: ptrTo(int32(0))}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			setDefaults(t, tc.in)
			if !reflect.DeepEqual(tc.in, tc.want) {
				t.Errorf("defaulted object differs\n got: %+v\nwant: %+v", tc.in, tc.want)
			}
			// Defaulting twice changes nothing.
			again := tc.in.DeepCopyObject()
			setDefaults(t, again)
			if !reflect.DeepEqual(again, tc.want) {
				t.Errorf("second Default changed the object: %+v", again)
			}
		})
	}
}

func TestPreserveServiceAllocations(t *testing.T) {
	old := &corev1.Service{Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeNodePort, ClusterIP: "10.0.0.5", ClusterIPs: []string{"10.0.0.5"},
		IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}, IPFamilyPolicy: ptrTo(corev1.IPFamilyPolicySingleStack),
		Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 30080}},
	}}
	cases := []struct {
		name string
		in   *corev1.Service
		want *corev1.Service
	}{
		{
			name: "manifest without allocations keeps them",
			in:   &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}}},
			want: old,
		},
		{
			name: "switch to ExternalName drops them",
			in:   &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "x.example.com"}},
			want: &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "x.example.com"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			PreserveServiceAllocations(tc.in, old)
			if !reflect.DeepEqual(tc.in, tc.want) {
				t.Errorf("got %+v\nwant %+v", tc.in.Spec, tc.want.Spec)
			}
		})
	}
}
