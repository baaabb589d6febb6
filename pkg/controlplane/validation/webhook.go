package validation

import (
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/util/webhook"
)

var (
	// sideEffectClasses are the only classes admissionregistration.k8s.io/v1 accepts.
	sideEffectClasses = []admissionv1.SideEffectClass{admissionv1.SideEffectClassNone, admissionv1.SideEffectClassNoneOnDryRun}
	// admissionReviewVersions are the AdmissionReview versions this server can send.
	admissionReviewVersions = []string{"v1", "v1beta1"}
)

const defaultWebhookServicePort = 443

// webhookFields is the part of ValidatingWebhook and MutatingWebhook that is
// validated the same way; reinvocationPolicy is nil for validating webhooks.
type webhookFields struct {
	name                    string
	clientConfig            admissionv1.WebhookClientConfig
	rules                   []admissionv1.RuleWithOperations
	failurePolicy           *admissionv1.FailurePolicyType
	matchPolicy             *admissionv1.MatchPolicyType
	namespaceSelector       *metav1.LabelSelector
	objectSelector          *metav1.LabelSelector
	sideEffects             *admissionv1.SideEffectClass
	timeoutSeconds          *int32
	admissionReviewVersions []string
	matchConditions         []admissionv1.MatchCondition
	reinvocationPolicy      *admissionv1.ReinvocationPolicyType
}

// ValidateValidatingWebhookConfiguration checks a new
// ValidatingWebhookConfiguration; see validateWebhooks for the rules.
func ValidateValidatingWebhookConfiguration(obj *admissionv1.ValidatingWebhookConfiguration) field.ErrorList {
	hooks := make([]webhookFields, len(obj.Webhooks))
	for i, h := range obj.Webhooks {
		hooks[i] = webhookFields{h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector,
			h.ObjectSelector, h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions, nil}
	}
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateWebhooks(hooks, false)...)
}

// ValidateValidatingWebhookConfigurationUpdate checks an update.
func ValidateValidatingWebhookConfigurationUpdate(obj, old *admissionv1.ValidatingWebhookConfiguration) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateValidatingWebhookConfiguration(obj)...)
}

// ValidateMutatingWebhookConfiguration checks a new
// MutatingWebhookConfiguration; as validating ones plus reinvocationPolicy.
func ValidateMutatingWebhookConfiguration(obj *admissionv1.MutatingWebhookConfiguration) field.ErrorList {
	hooks := make([]webhookFields, len(obj.Webhooks))
	for i, h := range obj.Webhooks {
		hooks[i] = webhookFields{h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector,
			h.ObjectSelector, h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions, h.ReinvocationPolicy}
	}
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSSubdomain)
	return append(errs, validateWebhooks(hooks, true)...)
}

// ValidateMutatingWebhookConfigurationUpdate checks an update.
func ValidateMutatingWebhookConfigurationUpdate(obj, old *admissionv1.MutatingWebhookConfiguration) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateMutatingWebhookConfiguration(obj)...)
}

// validateWebhooks covers: fully qualified, unique webhook names; rules;
// failurePolicy, matchPolicy, sideEffects (required) and reinvocationPolicy
// enums; timeoutSeconds 1..30; selectors; exactly one of clientConfig url
// (https) or service; admissionReviewVersions (required, including v1 or
// v1beta1); matchConditions.
func validateWebhooks(hooks []webhookFields, mutating bool) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i := range hooks {
		h := &hooks[i]
		fldPath := field.NewPath("webhooks").Index(i)
		errs = append(errs, validation.IsFullyQualifiedName(fldPath.Child("name"), h.name)...)
		if h.name != "" {
			if names[h.name] {
				errs = append(errs, field.Duplicate(fldPath.Child("name"), h.name))
			}
			names[h.name] = true
		}
		for j := range h.rules {
			errs = append(errs, validateRuleWithOperations(&h.rules[j], fldPath.Child("rules").Index(j))...)
		}
		if h.failurePolicy != nil {
			errs = append(errs, requiredEnum(*h.failurePolicy, failurePolicies, fldPath.Child("failurePolicy"))...)
		}
		if h.matchPolicy != nil {
			errs = append(errs, requiredEnum(*h.matchPolicy, matchPolicies, fldPath.Child("matchPolicy"))...)
		}
		if h.sideEffects == nil {
			errs = append(errs, field.Required(fldPath.Child("sideEffects"), fmt.Sprintf("must specify one of %v", joinEnum(sideEffectClasses))))
		} else {
			errs = append(errs, requiredEnum(*h.sideEffects, sideEffectClasses, fldPath.Child("sideEffects"))...)
		}
		if t := h.timeoutSeconds; t != nil && (*t < 1 || *t > 30) {
			errs = append(errs, field.Invalid(fldPath.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"))
		}
		if mutating && h.reinvocationPolicy != nil {
			errs = append(errs, requiredEnum(*h.reinvocationPolicy, reinvocations, fldPath.Child("reinvocationPolicy"))...)
		}
		errs = append(errs, validateSelector(h.namespaceSelector, fldPath.Child("namespaceSelector"))...)
		errs = append(errs, validateSelector(h.objectSelector, fldPath.Child("objectSelector"))...)
		errs = append(errs, validateClientConfig(&h.clientConfig, fldPath.Child("clientConfig"))...)
		errs = append(errs, validateAdmissionReviewVersions(h.admissionReviewVersions, fldPath.Child("admissionReviewVersions"))...)
		errs = append(errs, validateMatchConditions(h.matchConditions, fldPath.Child("matchConditions"))...)
	}
	return errs
}

func validateClientConfig(cc *admissionv1.WebhookClientConfig, fldPath *field.Path) field.ErrorList {
	switch {
	case (cc.URL == nil) == (cc.Service == nil):
		return field.ErrorList{field.Required(fldPath, "exactly one of url or service is required")}
	case cc.URL != nil:
		return webhook.ValidateWebhookURL(fldPath.Child("url"), *cc.URL, true)
	default:
		port := int32(defaultWebhookServicePort)
		if cc.Service.Port != nil {
			port = *cc.Service.Port
		}
		return webhook.ValidateWebhookService(fldPath.Child("service"), cc.Service.Namespace, cc.Service.Name, cc.Service.Path, port)
	}
}

func validateAdmissionReviewVersions(versions []string, fldPath *field.Path) field.ErrorList {
	if len(versions) == 0 {
		return field.ErrorList{field.Required(fldPath, fmt.Sprintf("must specify one of %s", strings.Join(admissionReviewVersions, ", ")))}
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	known := false
	for i, v := range versions {
		if seen[v] {
			errs = append(errs, field.Invalid(fldPath.Index(i), v, "duplicate version"))
			continue
		}
		seen[v] = true
		errs = append(errs, invalidEach(fldPath.Index(i), v, validation.IsDNS1035Label(v))...)
		known = known || contains(admissionReviewVersions, v)
	}
	if !known {
		errs = append(errs, field.Invalid(fldPath, versions, fmt.Sprintf("must include at least one of %s", strings.Join(admissionReviewVersions, ", "))))
	}
	return errs
}

func joinEnum[S ~string](values []S) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}
