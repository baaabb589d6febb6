package validation

import (
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func podRule() admissionv1.RuleWithOperations {
	return admissionv1.RuleWithOperations{
		Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
		Rule: admissionv1.Rule{
			APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "pods/status"},
			Scope: ptr(admissionv1.AllScopes),
		},
	}
}

func validValidatingWebhookConfiguration() *admissionv1.ValidatingWebhookConfiguration {
	return &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy"},
		Webhooks: []admissionv1.ValidatingWebhook{
			{
				Name:                    "pods.policy.example.com",
				ClientConfig:            admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: "policy", Name: "webhook", Path: ptr("/validate")}},
				Rules:                   []admissionv1.RuleWithOperations{podRule()},
				FailurePolicy:           ptr(admissionv1.Fail),
				MatchPolicy:             ptr(admissionv1.Equivalent),
				NamespaceSelector:       &metav1.LabelSelector{},
				SideEffects:             ptr(admissionv1.SideEffectClassNone),
				TimeoutSeconds:          ptr(int32(10)),
				AdmissionReviewVersions: []string{"v1"},
				MatchConditions:         []admissionv1.MatchCondition{{Name: "not-system", Expression: "true"}},
			},
			{
				Name:                    "url.policy.example.com",
				ClientConfig:            admissionv1.WebhookClientConfig{URL: ptr("https://127.0.0.1:8443/validate")},
				SideEffects:             ptr(admissionv1.SideEffectClassNoneOnDryRun),
				AdmissionReviewVersions: []string{"v2", "v1beta1"},
			},
		},
	}
}

func TestValidateValidatingWebhookConfiguration(t *testing.T) {
	type cfg = admissionv1.ValidatingWebhookConfiguration
	runCases(t, validValidatingWebhookConfiguration, ValidateValidatingWebhookConfiguration, []caseOf[*cfg]{
		{name: "valid"},
		{name: "name not fully qualified", mutate: func(c *cfg) { c.Webhooks[0].Name = "pods" },
			want: []wantErr{inv("webhooks[0].name")}},
		{name: "duplicate names", mutate: func(c *cfg) { c.Webhooks[1].Name = c.Webhooks[0].Name },
			want: []wantErr{dup("webhooks[1].name")}},
		{name: "neither url nor service", mutate: func(c *cfg) { c.Webhooks[0].ClientConfig.Service = nil },
			want: []wantErr{req("webhooks[0].clientConfig")}},
		{name: "both url and service", mutate: func(c *cfg) { c.Webhooks[0].ClientConfig.URL = ptr("https://x.example.com") },
			want: []wantErr{req("webhooks[0].clientConfig")}},
		{name: "http url", mutate: func(c *cfg) { c.Webhooks[1].ClientConfig.URL = ptr("http://127.0.0.1/x") },
			want: []wantErr{inv("webhooks[1].clientConfig.url")}},
		{name: "service without name", mutate: func(c *cfg) { c.Webhooks[0].ClientConfig.Service.Name = "" },
			want: []wantErr{req("webhooks[0].clientConfig.service.name")}},
		{name: "sideEffects required", mutate: func(c *cfg) { c.Webhooks[0].SideEffects = nil },
			want: []wantErr{req("webhooks[0].sideEffects")}},
		{name: "sideEffects Some not allowed in v1", mutate: func(c *cfg) { c.Webhooks[0].SideEffects = ptr(admissionv1.SideEffectClassSome) },
			want: []wantErr{unsupported("webhooks[0].sideEffects")}},
		{name: "admissionReviewVersions required", mutate: func(c *cfg) { c.Webhooks[0].AdmissionReviewVersions = nil },
			want: []wantErr{req("webhooks[0].admissionReviewVersions")}},
		{name: "no known admissionReviewVersion", mutate: func(c *cfg) { c.Webhooks[0].AdmissionReviewVersions = []string{"v9", "v9"} },
			want: []wantErr{inv("webhooks[0].admissionReviewVersions"), inv("webhooks[0].admissionReviewVersions[1]")}},
		{name: "enums", mutate: func(c *cfg) {
			c.Webhooks[0].FailurePolicy = ptr(admissionv1.FailurePolicyType("Maybe"))
			c.Webhooks[0].MatchPolicy = ptr(admissionv1.MatchPolicyType("Fuzzy"))
		}, want: []wantErr{unsupported("webhooks[0].failurePolicy"), unsupported("webhooks[0].matchPolicy")}},
		{name: "timeout out of range", mutate: func(c *cfg) { c.Webhooks[0].TimeoutSeconds = ptr(int32(31)) },
			want: []wantErr{inv("webhooks[0].timeoutSeconds")}},
		{name: "rule problems", mutate: func(c *cfg) {
			c.Webhooks[0].Rules[0] = admissionv1.RuleWithOperations{
				Operations: []admissionv1.OperationType{"*", "PATCH"},
				Rule:       admissionv1.Rule{APIGroups: []string{"*", "apps"}, Resources: []string{"*/*", "pods"}, Scope: ptr(admissionv1.ScopeType("Galaxy"))},
			}
		}, want: []wantErr{
			inv("webhooks[0].rules[0].operations"), unsupported("webhooks[0].rules[0].operations[1]"),
			inv("webhooks[0].rules[0].apiGroups"), req("webhooks[0].rules[0].apiVersions"),
			inv("webhooks[0].rules[0].resources"), unsupported("webhooks[0].rules[0].scope"),
		}},
		{name: "subresource wildcard overlap", mutate: func(c *cfg) { c.Webhooks[0].Rules[0].Resources = []string{"pods/*", "pods/status"} },
			want: []wantErr{inv("webhooks[0].rules[0].resources[1]")}},
		{name: "bad selector", mutate: func(c *cfg) {
			c.Webhooks[0].ObjectSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}
		}, want: []wantErr{inv("webhooks[0].objectSelector.matchExpressions[0].operator")}},
		{name: "match condition problems", mutate: func(c *cfg) {
			c.Webhooks[0].MatchConditions = append(c.Webhooks[0].MatchConditions, admissionv1.MatchCondition{Name: "not-system"})
		}, want: []wantErr{dup("webhooks[0].matchConditions[1].name"), req("webhooks[0].matchConditions[1].expression")}},
	})
	runUpdateCases(t, validValidatingWebhookConfiguration, ValidateValidatingWebhookConfigurationUpdate, []caseOf[*cfg]{
		{name: "webhooks may change", mutate: func(c *cfg) { c.Webhooks = c.Webhooks[:1] }},
		{name: "new webhooks are checked", mutate: func(c *cfg) { c.Webhooks[0].SideEffects = nil },
			want: []wantErr{req("webhooks[0].sideEffects")}},
	})
}

func validMutatingWebhookConfiguration() *admissionv1.MutatingWebhookConfiguration {
	return &admissionv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "inject"},
		Webhooks: []admissionv1.MutatingWebhook{{
			Name:                    "inject.example.com",
			ClientConfig:            admissionv1.WebhookClientConfig{URL: ptr("https://localhost:9443/mutate")},
			Rules:                   []admissionv1.RuleWithOperations{podRule()},
			SideEffects:             ptr(admissionv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			ReinvocationPolicy:      ptr(admissionv1.IfNeededReinvocationPolicy),
		}},
	}
}

func TestValidateMutatingWebhookConfiguration(t *testing.T) {
	type cfg = admissionv1.MutatingWebhookConfiguration
	runCases(t, validMutatingWebhookConfiguration, ValidateMutatingWebhookConfiguration, []caseOf[*cfg]{
		{name: "valid"},
		{name: "unknown reinvocationPolicy", mutate: func(c *cfg) {
			c.Webhooks[0].ReinvocationPolicy = ptr(admissionv1.ReinvocationPolicyType("Always"))
		}, want: []wantErr{unsupported("webhooks[0].reinvocationPolicy")}},
		{name: "url with query", mutate: func(c *cfg) { c.Webhooks[0].ClientConfig.URL = ptr("https://localhost/m?x=1") },
			want: []wantErr{inv("webhooks[0].clientConfig.url")}},
	})
	runUpdateCases(t, validMutatingWebhookConfiguration, ValidateMutatingWebhookConfigurationUpdate, []caseOf[*cfg]{
		{name: "unchanged"},
		{name: "name immutable", mutate: func(c *cfg) { c.Name = "other" }, want: []wantErr{inv("metadata.name")}},
	})
}

func podConstraints() *admissionv1.MatchResources {
	return &admissionv1.MatchResources{
		ResourceRules: []admissionv1.NamedRuleWithOperations{{RuleWithOperations: podRule()}},
		MatchPolicy:   ptr(admissionv1.Equivalent),
	}
}

func validValidatingAdmissionPolicy() *admissionv1.ValidatingAdmissionPolicy {
	return &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "replicas"},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			ParamKind:        &admissionv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			MatchConstraints: podConstraints(),
			Validations:      []admissionv1.Validation{{Expression: "object.spec.replicas <= 5", Reason: ptr(metav1.StatusReasonForbidden)}},
			AuditAnnotations: []admissionv1.AuditAnnotation{{Key: "high-replicas", ValueExpression: "'x'"}},
			Variables:        []admissionv1.Variable{{Name: "limit", Expression: "5"}},
			FailurePolicy:    ptr(admissionv1.Fail),
		},
	}
}

func TestValidateValidatingAdmissionPolicy(t *testing.T) {
	type vap = admissionv1.ValidatingAdmissionPolicy
	runCases(t, validValidatingAdmissionPolicy, ValidateValidatingAdmissionPolicy, []caseOf[*vap]{
		{name: "valid"},
		{name: "needs validations or audit annotations", mutate: func(p *vap) { p.Spec.Validations, p.Spec.AuditAnnotations = nil, nil },
			want: []wantErr{req("spec.validations")}},
		{name: "matchConstraints required", mutate: func(p *vap) { p.Spec.MatchConstraints = nil },
			want: []wantErr{req("spec.matchConstraints")}},
		{name: "matchConstraints need rules", mutate: func(p *vap) { p.Spec.MatchConstraints.ResourceRules = nil },
			want: []wantErr{req("spec.matchConstraints.resourceRules")}},
		{name: "failurePolicy required", mutate: func(p *vap) { p.Spec.FailurePolicy = nil },
			want: []wantErr{req("spec.failurePolicy")}},
		{name: "validation problems", mutate: func(p *vap) {
			p.Spec.Validations[0] = admissionv1.Validation{Message: "a\nb", Reason: ptr(metav1.StatusReason("Teapot"))}
		}, want: []wantErr{req("spec.validations[0].expression"), inv("spec.validations[0].message"), unsupported("spec.validations[0].reason")}},
		{name: "paramKind incomplete", mutate: func(p *vap) { p.Spec.ParamKind = &admissionv1.ParamKind{APIVersion: "a/b/c"} },
			want: []wantErr{inv("spec.paramKind.apiVersion"), req("spec.paramKind.kind")}},
		{name: "variable problems", mutate: func(p *vap) {
			p.Spec.Variables = append(p.Spec.Variables, admissionv1.Variable{Name: "limit"}, admissionv1.Variable{Name: "1x", Expression: "1"})
		}, want: []wantErr{dup("spec.variables[1].name"), req("spec.variables[1].expression"), inv("spec.variables[2].name")}},
		{name: "audit annotation problems", mutate: func(p *vap) {
			p.Spec.AuditAnnotations = append(p.Spec.AuditAnnotations, admissionv1.AuditAnnotation{Key: "high-replicas"})
		}, want: []wantErr{dup("spec.auditAnnotations[1].key"), req("spec.auditAnnotations[1].valueExpression")}},
	})
	runUpdateCases(t, validValidatingAdmissionPolicy, ValidateValidatingAdmissionPolicyUpdate, []caseOf[*vap]{
		{name: "validations may change", mutate: func(p *vap) { p.Spec.Validations[0].Expression = "true" }},
		{name: "new spec is checked", mutate: func(p *vap) { p.Spec.FailurePolicy = nil }, want: []wantErr{req("spec.failurePolicy")}},
	})
}

func validValidatingAdmissionPolicyBinding() *admissionv1.ValidatingAdmissionPolicyBinding {
	return &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "replicas-prod"},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        "replicas",
			ParamRef:          &admissionv1.ParamRef{Name: "limits", Namespace: "prod", ParameterNotFoundAction: ptr(admissionv1.DenyAction)},
			MatchResources:    &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}},
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny, admissionv1.Audit},
		},
	}
}

func TestValidateValidatingAdmissionPolicyBinding(t *testing.T) {
	type b = admissionv1.ValidatingAdmissionPolicyBinding
	runCases(t, validValidatingAdmissionPolicyBinding, ValidateValidatingAdmissionPolicyBinding, []caseOf[*b]{
		{name: "valid"},
		{name: "policyName required", mutate: func(x *b) { x.Spec.PolicyName = "" }, want: []wantErr{req("spec.policyName")}},
		{name: "validationActions required", mutate: func(x *b) { x.Spec.ValidationActions = nil },
			want: []wantErr{req("spec.validationActions")}},
		{name: "validationActions problems", mutate: func(x *b) {
			x.Spec.ValidationActions = []admissionv1.ValidationAction{"Deny", "Warn", "Warn", "Log"}
		}, want: []wantErr{dup("spec.validationActions[2]"), unsupported("spec.validationActions[3]"), inv("spec.validationActions")}},
		{name: "paramRef needs name or selector", mutate: func(x *b) { x.Spec.ParamRef.Name = "" },
			want: []wantErr{req("spec.paramRef")}},
		{name: "paramRef name and selector", mutate: func(x *b) { x.Spec.ParamRef.Selector = &metav1.LabelSelector{} },
			want: []wantErr{forbidden("spec.paramRef.name")}},
		{name: "parameterNotFoundAction required", mutate: func(x *b) { x.Spec.ParamRef.ParameterNotFoundAction = nil },
			want: []wantErr{req("spec.paramRef.parameterNotFoundAction")}},
	})
	runUpdateCases(t, validValidatingAdmissionPolicyBinding, ValidateValidatingAdmissionPolicyBindingUpdate, []caseOf[*b]{
		{name: "actions may change", mutate: func(x *b) { x.Spec.ValidationActions = []admissionv1.ValidationAction{"Warn"} }},
		{name: "new spec is checked", mutate: func(x *b) { x.Spec.PolicyName = "Bad_Name" }, want: []wantErr{inv("spec.policyName")}},
	})
}

func validMutatingAdmissionPolicy() *admissionv1.MutatingAdmissionPolicy {
	return &admissionv1.MutatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "sidecar"},
		Spec: admissionv1.MutatingAdmissionPolicySpec{
			MatchConstraints: podConstraints(),
			Mutations: []admissionv1.Mutation{{
				PatchType:          admissionv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admissionv1.ApplyConfiguration{Expression: "Object{}"},
			}},
			FailurePolicy:      ptr(admissionv1.Fail),
			ReinvocationPolicy: admissionv1.NeverReinvocationPolicy,
		},
	}
}

func TestValidateMutatingAdmissionPolicy(t *testing.T) {
	type mp = admissionv1.MutatingAdmissionPolicy
	runCases(t, validMutatingAdmissionPolicy, ValidateMutatingAdmissionPolicy, []caseOf[*mp]{
		{name: "valid"},
		{name: "JSONPatch mutation", mutate: func(p *mp) {
			p.Spec.Mutations[0] = admissionv1.Mutation{PatchType: admissionv1.PatchTypeJSONPatch, JSONPatch: &admissionv1.JSONPatch{Expression: "[]"}}
		}},
		{name: "mutations required", mutate: func(p *mp) { p.Spec.Mutations = nil }, want: []wantErr{req("spec.mutations")}},
		{name: "patch does not match type", mutate: func(p *mp) {
			p.Spec.Mutations[0].PatchType = admissionv1.PatchTypeJSONPatch
		}, want: []wantErr{req("spec.mutations[0].jsonPatch"), forbidden("spec.mutations[0].applyConfiguration")}},
		{name: "unknown patchType and reinvocation", mutate: func(p *mp) {
			p.Spec.Mutations[0].PatchType = "Merge"
			p.Spec.ReinvocationPolicy = "Sometimes"
		}, want: []wantErr{unsupported("spec.mutations[0].patchType"), unsupported("spec.reinvocationPolicy")}},
	})
	runUpdateCases(t, validMutatingAdmissionPolicy, ValidateMutatingAdmissionPolicyUpdate, []caseOf[*mp]{
		{name: "unchanged"},
		{name: "new spec is checked", mutate: func(p *mp) { p.Spec.MatchConstraints = nil }, want: []wantErr{req("spec.matchConstraints")}},
	})
}

func validMutatingAdmissionPolicyBinding() *admissionv1.MutatingAdmissionPolicyBinding {
	return &admissionv1.MutatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "sidecar-all"},
		Spec:       admissionv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "sidecar"},
	}
}

func TestValidateMutatingAdmissionPolicyBinding(t *testing.T) {
	type b = admissionv1.MutatingAdmissionPolicyBinding
	runCases(t, validMutatingAdmissionPolicyBinding, ValidateMutatingAdmissionPolicyBinding, []caseOf[*b]{
		{name: "valid"},
		{name: "policyName required", mutate: func(x *b) { x.Spec.PolicyName = "" }, want: []wantErr{req("spec.policyName")}},
		{name: "matchResources checked", mutate: func(x *b) {
			x.Spec.MatchResources = &admissionv1.MatchResources{MatchPolicy: ptr(admissionv1.MatchPolicyType("Loose"))}
		}, want: []wantErr{unsupported("spec.matchResources.matchPolicy")}},
	})
	runUpdateCases(t, validMutatingAdmissionPolicyBinding, ValidateMutatingAdmissionPolicyBindingUpdate, []caseOf[*b]{
		{name: "unchanged"},
		{name: "new spec is checked", mutate: func(x *b) { x.Spec.PolicyName = "" }, want: []wantErr{req("spec.policyName")}},
	})
}
