package defaults

import (
	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Upstream admissionregistration.k8s.io/v1 defaults.
const (
	DefaultWebhookTimeoutSeconds = int32(10)
	DefaultWebhookServicePort    = int32(443)
)

// SetDefaultsValidatingWebhookConfiguration defaults each webhook:
// failurePolicy Fail, matchPolicy Equivalent, empty (match-all)
// namespaceSelector and objectSelector, timeoutSeconds 10, rule scope "*" and
// service port 443. sideEffects has no default: clients must choose.
func SetDefaultsValidatingWebhookConfiguration(obj *admissionv1.ValidatingWebhookConfiguration) {
	for i := range obj.Webhooks {
		h := &obj.Webhooks[i]
		defaultWebhook(&h.FailurePolicy, &h.MatchPolicy, &h.NamespaceSelector, &h.ObjectSelector, &h.TimeoutSeconds, h.Rules, &h.ClientConfig)
	}
}

// SetDefaultsMutatingWebhookConfiguration defaults each webhook as
// SetDefaultsValidatingWebhookConfiguration does, plus reinvocationPolicy
// Never.
func SetDefaultsMutatingWebhookConfiguration(obj *admissionv1.MutatingWebhookConfiguration) {
	for i := range obj.Webhooks {
		h := &obj.Webhooks[i]
		defaultWebhook(&h.FailurePolicy, &h.MatchPolicy, &h.NamespaceSelector, &h.ObjectSelector, &h.TimeoutSeconds, h.Rules, &h.ClientConfig)
		if h.ReinvocationPolicy == nil {
			h.ReinvocationPolicy = ptrTo(admissionv1.NeverReinvocationPolicy)
		}
	}
}

func defaultWebhook(failure **admissionv1.FailurePolicyType, match **admissionv1.MatchPolicyType,
	nsSel, objSel **metav1.LabelSelector, timeout **int32, rules []admissionv1.RuleWithOperations,
	cc *admissionv1.WebhookClientConfig) {
	if *failure == nil {
		*failure = ptrTo(admissionv1.Fail)
	}
	if *match == nil {
		*match = ptrTo(admissionv1.Equivalent)
	}
	defaultSelector(nsSel)
	defaultSelector(objSel)
	if *timeout == nil {
		*timeout = ptrTo(DefaultWebhookTimeoutSeconds)
	}
	for i := range rules {
		defaultRuleScope(&rules[i].Rule)
	}
	if cc.Service != nil && cc.Service.Port == nil {
		cc.Service.Port = ptrTo(DefaultWebhookServicePort)
	}
}

func defaultSelector(sel **metav1.LabelSelector) {
	if *sel == nil {
		*sel = &metav1.LabelSelector{}
	}
}

func defaultRuleScope(rule *admissionv1.Rule) {
	if rule.Scope == nil {
		rule.Scope = ptrTo(admissionv1.AllScopes)
	}
}

// defaultMatchResources sets matchPolicy Equivalent, empty selectors and rule
// scope "*".
func defaultMatchResources(mr *admissionv1.MatchResources) {
	if mr == nil {
		return
	}
	if mr.MatchPolicy == nil {
		mr.MatchPolicy = ptrTo(admissionv1.Equivalent)
	}
	defaultSelector(&mr.NamespaceSelector)
	defaultSelector(&mr.ObjectSelector)
	for i := range mr.ResourceRules {
		defaultRuleScope(&mr.ResourceRules[i].Rule)
	}
	for i := range mr.ExcludeResourceRules {
		defaultRuleScope(&mr.ExcludeResourceRules[i].Rule)
	}
}

func defaultParamRef(ref *admissionv1.ParamRef) {
	if ref != nil && ref.ParameterNotFoundAction == nil {
		ref.ParameterNotFoundAction = ptrTo(admissionv1.DenyAction)
	}
}

// SetDefaultsValidatingAdmissionPolicy sets failurePolicy Fail and defaults
// matchConstraints.
func SetDefaultsValidatingAdmissionPolicy(obj *admissionv1.ValidatingAdmissionPolicy) {
	if obj.Spec.FailurePolicy == nil {
		obj.Spec.FailurePolicy = ptrTo(admissionv1.Fail)
	}
	defaultMatchResources(obj.Spec.MatchConstraints)
}

// SetDefaultsValidatingAdmissionPolicyBinding defaults matchResources and
// sets paramRef.parameterNotFoundAction Deny.
func SetDefaultsValidatingAdmissionPolicyBinding(obj *admissionv1.ValidatingAdmissionPolicyBinding) {
	defaultMatchResources(obj.Spec.MatchResources)
	defaultParamRef(obj.Spec.ParamRef)
}

// SetDefaultsMutatingAdmissionPolicy sets failurePolicy Fail and defaults
// matchConstraints.
func SetDefaultsMutatingAdmissionPolicy(obj *admissionv1.MutatingAdmissionPolicy) {
	if obj.Spec.FailurePolicy == nil {
		obj.Spec.FailurePolicy = ptrTo(admissionv1.Fail)
	}
	defaultMatchResources(obj.Spec.MatchConstraints)
}

// SetDefaultsMutatingAdmissionPolicyBinding defaults matchResources and
// sets paramRef.parameterNotFoundAction Deny.
func SetDefaultsMutatingAdmissionPolicyBinding(obj *admissionv1.MutatingAdmissionPolicyBinding) {
	defaultMatchResources(obj.Spec.MatchResources)
	defaultParamRef(obj.Spec.ParamRef)
}
