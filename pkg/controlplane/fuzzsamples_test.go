package controlplane

import (
	"sort"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// fuzzNamespace holds every namespaced object the fuzz tests write.
const fuzzNamespace = "fuzz"

// builtin is one resource the control plane stores, with a valid object
// of its kind (named "sample") for seeds and as the target of patches.
type builtin struct {
	gvr        schema.GroupVersionResource
	namespaced bool
	sample     runtime.Object
}

// builtinResources lists every stored built-in resource, sorted by
// resource then group, so that a fuzz input's index names the same
// resource from run to run while the list stays the same.
func builtinResources(tb testing.TB) []builtin {
	tb.Helper()
	var all []builtin
	defs := storedResources()
	for _, def := range defs {
		sample, ok := fuzzSamples[def.plural]
		if !ok {
			tb.Fatalf("no fuzz sample for %s: add one to fuzzSamples", def.plural)
		}
		all = append(all, builtin{gvr: def.gv.WithResource(def.plural), namespaced: def.namespaced, sample: sample})
	}
	all = append(all, builtin{gvr: apiregistrationv1.SchemeGroupVersion.WithResource("apiservices"), sample: fuzzSamples["apiservices"]})
	sort.Slice(all, func(i, j int) bool {
		if all[i].gvr.Resource != all[j].gvr.Resource {
			return all[i].gvr.Resource < all[j].gvr.Resource
		}
		return all[i].gvr.Group < all[j].gvr.Group
	})
	return all
}

func mustResource(tb testing.TB, plural string) schema.GroupVersionResource {
	tb.Helper()
	for _, b := range builtinResources(tb) {
		if b.gvr.Resource == plural {
			return b.gvr
		}
	}
	tb.Fatalf("no built-in resource %s", plural)
	return schema.GroupVersionResource{}
}

var sampleMeta = metav1.ObjectMeta{Name: "sample", Labels: map[string]string{"fuzz": "seed"}}

func namespaced() metav1.ObjectMeta {
	m := *sampleMeta.DeepCopy()
	m.Namespace = fuzzNamespace
	return m
}

var (
	fail      = admissionregistrationv1.Fail
	none      = admissionregistrationv1.SideEffectClassNone
	webhookTo = admissionregistrationv1.WebhookClientConfig{URL: ptrTo("https://127.0.0.1:1/hook")}
	anyRule   = admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{"CREATE"},
		Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.com"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}}}
	policyRules = &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: anyRule}}}
)

func ptrTo[T any](v T) *T { return &v }

// fuzzSamples are valid objects of every built-in kind.
var fuzzSamples = map[string]runtime.Object{
	"configmaps": &corev1.ConfigMap{ObjectMeta: namespaced(), Data: map[string]string{"k": "v"}, BinaryData: map[string][]byte{"b": {0, 1}}},
	"secrets":    &corev1.Secret{ObjectMeta: namespaced(), Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"k": []byte("v")}},
	"services": &corev1.Service{ObjectMeta: namespaced(), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "x"},
		Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}}}},
	"endpoints": &corev1.Endpoints{ObjectMeta: namespaced(), Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: "10.0.0.1"}}, Ports: []corev1.EndpointPort{{Name: "https", Port: 8443}}}}},
	"serviceaccounts": &corev1.ServiceAccount{ObjectMeta: namespaced()},
	"events": &corev1.Event{ObjectMeta: namespaced(), Reason: "Seed", Message: "m", Type: corev1.EventTypeNormal,
		InvolvedObject: corev1.ObjectReference{Kind: "ConfigMap", Namespace: fuzzNamespace, Name: "sample"}},
	"endpointslices": &discoveryv1.EndpointSlice{ObjectMeta: namespaced(), AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}}}, Ports: []discoveryv1.EndpointPort{{Name: ptrTo("https"), Port: ptrTo[int32](8443)}}},
	"leases": &coordinationv1.Lease{ObjectMeta: namespaced(), Spec: coordinationv1.LeaseSpec{HolderIdentity: ptrTo("me"), LeaseDurationSeconds: ptrTo[int32](15)}},
	"roles":  &rbacv1.Role{ObjectMeta: namespaced(), Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}},
	"rolebindings": &rbacv1.RoleBinding{ObjectMeta: namespaced(), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "sample"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "jane"}}},
	"clusterroles": &rbacv1.ClusterRole{ObjectMeta: sampleMeta, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}},
	"clusterrolebindings": &rbacv1.ClusterRoleBinding{ObjectMeta: sampleMeta, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "sample"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "fuzzers"}}},
	"namespaces": &corev1.Namespace{ObjectMeta: sampleMeta},
	"validatingwebhookconfigurations": &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: sampleMeta,
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "v.example.com", ClientConfig: webhookTo, SideEffects: &none, FailurePolicy: &fail,
			AdmissionReviewVersions: []string{"v1"}, Rules: []admissionregistrationv1.RuleWithOperations{anyRule}}}},
	"mutatingwebhookconfigurations": &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: sampleMeta,
		Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "m.example.com", ClientConfig: webhookTo, SideEffects: &none, FailurePolicy: &fail,
			AdmissionReviewVersions: []string{"v1"}, Rules: []admissionregistrationv1.RuleWithOperations{anyRule}}}},
	"validatingadmissionpolicies": &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: sampleMeta,
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{FailurePolicy: &fail, MatchConstraints: policyRules,
			Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.name != 'x'"}}}},
	"validatingadmissionpolicybindings": &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: sampleMeta,
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "sample",
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}},
	"mutatingadmissionpolicies": &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: sampleMeta,
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{FailurePolicy: &fail, MatchConstraints: policyRules,
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
			Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: "Object{metadata: Object.metadata{labels: {'a': 'b'}}}"}}}}},
	"mutatingadmissionpolicybindings": &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: sampleMeta,
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "sample"}},
	"flowschemas": &flowcontrolv1.FlowSchema{ObjectMeta: sampleMeta, Spec: flowcontrolv1.FlowSchemaSpec{
		PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "sample"}, MatchingPrecedence: 500,
		Rules: []flowcontrolv1.PolicyRulesWithSubjects{{Subjects: []flowcontrolv1.Subject{{Kind: flowcontrolv1.SubjectKindGroup, Group: &flowcontrolv1.GroupSubject{Name: "fuzzers"}}},
			NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}}}}},
	"prioritylevelconfigurations": &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: sampleMeta, Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
		Type: flowcontrolv1.PriorityLevelEnablementLimited, Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{NominalConcurrencyShares: ptrTo[int32](10),
			LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeReject}}}},
	"apiservices": &apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1.fuzz.example.com"}, Spec: apiregistrationv1.APIServiceSpec{
		Group: "fuzz.example.com", Version: "v1", GroupPriorityMinimum: 100, VersionPriority: 10}},
}
