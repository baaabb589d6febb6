package validation

import (
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	validationReasons = []metav1.StatusReason{
		metav1.StatusReasonUnauthorized, metav1.StatusReasonForbidden,
		metav1.StatusReasonInvalid, metav1.StatusReasonRequestEntityTooLarge,
	}
	validationActions = []admissionv1.ValidationAction{admissionv1.Deny, admissionv1.Warn, admissionv1.Audit}
	patchTypes        = []admissionv1.PatchType{admissionv1.PatchTypeApplyConfiguration, admissionv1.PatchTypeJSONPatch}
)

// ValidateValidatingAdmissionPolicy checks a new ValidatingAdmissionPolicy
// structurally: paramKind, matchConstraints with resourceRules (required),
// at least one validation or audit annotation with expressions, reasons from
// the known set, variables, failurePolicy (required) and matchConditions.
// CEL expressions are not compiled.
func ValidateValidatingAdmissionPolicy(obj *admissionv1.ValidatingAdmissionPolicy) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSSubdomain)
	spec, specPath := &obj.Spec, field.NewPath("spec")
	errs = append(errs, validatePolicyCommon(spec.ParamKind, spec.MatchConstraints, spec.Variables, spec.FailurePolicy, spec.MatchConditions, specPath)...)
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		errs = append(errs, field.Required(specPath.Child("validations"), "validations or auditAnnotations must contain at least one item"))
	}
	for i, v := range spec.Validations {
		idxPath := specPath.Child("validations").Index(i)
		errs = append(errs, requiredExpression(v.Expression, idxPath.Child("expression"))...)
		errs = append(errs, lineBreakFree(v.Message, idxPath.Child("message"))...)
		if v.Reason != nil {
			errs = append(errs, requiredEnum(*v.Reason, validationReasons, idxPath.Child("reason"))...)
		}
	}
	keys := map[string]bool{}
	for i, a := range spec.AuditAnnotations {
		idxPath := specPath.Child("auditAnnotations").Index(i)
		if a.Key == "" {
			errs = append(errs, field.Required(idxPath.Child("key"), ""))
		} else {
			// The key becomes the audit annotation "<policy name>/<key>".
			qualified := a.Key
			if obj.Name != "" {
				qualified = obj.Name + "/" + a.Key
			}
			errs = append(errs, validateQualifiedName(qualified, idxPath.Child("key"))...)
			if keys[a.Key] {
				errs = append(errs, field.Duplicate(idxPath.Child("key"), a.Key))
			}
			keys[a.Key] = true
		}
		errs = append(errs, requiredExpression(a.ValueExpression, idxPath.Child("valueExpression"))...)
	}
	return errs
}

// ValidateValidatingAdmissionPolicyUpdate checks an update.
func ValidateValidatingAdmissionPolicyUpdate(obj, old *admissionv1.ValidatingAdmissionPolicy) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateValidatingAdmissionPolicy(obj)...)
}

// ValidateMutatingAdmissionPolicy checks a new MutatingAdmissionPolicy
// structurally: as ValidatingAdmissionPolicy for the shared fields, plus at
// least one mutation whose patchType matches the one patch it carries, and
// the reinvocationPolicy enum.
func ValidateMutatingAdmissionPolicy(obj *admissionv1.MutatingAdmissionPolicy) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSSubdomain)
	spec, specPath := &obj.Spec, field.NewPath("spec")
	errs = append(errs, validatePolicyCommon(spec.ParamKind, spec.MatchConstraints, spec.Variables, spec.FailurePolicy, spec.MatchConditions, specPath)...)
	if len(spec.Mutations) == 0 {
		errs = append(errs, field.Required(specPath.Child("mutations"), "mutations must contain at least one item"))
	}
	for i, m := range spec.Mutations {
		errs = append(errs, validateMutation(&m, specPath.Child("mutations").Index(i))...)
	}
	return append(errs, optionalEnum(spec.ReinvocationPolicy, reinvocations, specPath.Child("reinvocationPolicy"))...)
}

// ValidateMutatingAdmissionPolicyUpdate checks an update.
func ValidateMutatingAdmissionPolicyUpdate(obj, old *admissionv1.MutatingAdmissionPolicy) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateMutatingAdmissionPolicy(obj)...)
}

func validateMutation(m *admissionv1.Mutation, fldPath *field.Path) field.ErrorList {
	errs := requiredEnum(m.PatchType, patchTypes, fldPath.Child("patchType"))
	applyPath, jsonPath := fldPath.Child("applyConfiguration"), fldPath.Child("jsonPatch")
	switch m.PatchType {
	case admissionv1.PatchTypeApplyConfiguration:
		if m.ApplyConfiguration == nil {
			errs = append(errs, field.Required(applyPath, "must be specified when patchType is ApplyConfiguration"))
		} else {
			errs = append(errs, requiredExpression(m.ApplyConfiguration.Expression, applyPath.Child("expression"))...)
		}
		if m.JSONPatch != nil {
			errs = append(errs, field.Forbidden(jsonPath, "must not be specified when patchType is ApplyConfiguration"))
		}
	case admissionv1.PatchTypeJSONPatch:
		if m.JSONPatch == nil {
			errs = append(errs, field.Required(jsonPath, "must be specified when patchType is JSONPatch"))
		} else {
			errs = append(errs, requiredExpression(m.JSONPatch.Expression, jsonPath.Child("expression"))...)
		}
		if m.ApplyConfiguration != nil {
			errs = append(errs, field.Forbidden(applyPath, "must not be specified when patchType is JSONPatch"))
		}
	}
	return errs
}

// validatePolicyCommon checks the spec fields validating and mutating
// policies share.
func validatePolicyCommon(paramKind *admissionv1.ParamKind, constraints *admissionv1.MatchResources, variables []admissionv1.Variable,
	failurePolicy *admissionv1.FailurePolicyType, conds []admissionv1.MatchCondition, specPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if paramKind != nil {
		errs = append(errs, validateParamKind(paramKind, specPath.Child("paramKind"))...)
	}
	if constraints == nil {
		errs = append(errs, field.Required(specPath.Child("matchConstraints"), ""))
	} else {
		errs = append(errs, validateMatchResources(constraints, true, specPath.Child("matchConstraints"))...)
	}
	names := map[string]bool{}
	for i, v := range variables {
		idxPath := specPath.Child("variables").Index(i)
		if v.Name == "" {
			errs = append(errs, field.Required(idxPath.Child("name"), ""))
		} else {
			errs = append(errs, invalidEach(idxPath.Child("name"), v.Name, validation.IsCIdentifier(v.Name))...)
			if names[v.Name] {
				errs = append(errs, field.Duplicate(idxPath.Child("name"), v.Name))
			}
			names[v.Name] = true
		}
		errs = append(errs, requiredExpression(v.Expression, idxPath.Child("expression"))...)
	}
	if failurePolicy == nil {
		errs = append(errs, field.Required(specPath.Child("failurePolicy"), ""))
	} else {
		errs = append(errs, requiredEnum(*failurePolicy, failurePolicies, specPath.Child("failurePolicy"))...)
	}
	return append(errs, validateMatchConditions(conds, specPath.Child("matchConditions"))...)
}

func requiredExpression(expr string, fldPath *field.Path) field.ErrorList {
	if strings.TrimSpace(expr) == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	return nil
}

// ValidateValidatingAdmissionPolicyBinding checks a new binding: policyName,
// paramRef, matchResources, and validationActions (required, known, unique,
// not both Deny and Warn).
func ValidateValidatingAdmissionPolicyBinding(obj *admissionv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSSubdomain)
	spec, specPath := &obj.Spec, field.NewPath("spec")
	errs = append(errs, validateBindingCommon(spec.PolicyName, spec.ParamRef, spec.MatchResources, specPath)...)
	actionsPath := specPath.Child("validationActions")
	if len(spec.ValidationActions) == 0 {
		return append(errs, field.Required(actionsPath, ""))
	}
	seen := map[admissionv1.ValidationAction]bool{}
	for i, a := range spec.ValidationActions {
		errs = append(errs, requiredEnum(a, validationActions, actionsPath.Index(i))...)
		if seen[a] {
			errs = append(errs, field.Duplicate(actionsPath.Index(i), a))
		}
		seen[a] = true
	}
	if seen[admissionv1.Deny] && seen[admissionv1.Warn] {
		errs = append(errs, field.Invalid(actionsPath, spec.ValidationActions,
			"must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	return errs
}

// ValidateValidatingAdmissionPolicyBindingUpdate checks an update.
func ValidateValidatingAdmissionPolicyBindingUpdate(obj, old *admissionv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateValidatingAdmissionPolicyBinding(obj)...)
}

// ValidateMutatingAdmissionPolicyBinding checks a new binding: policyName,
// paramRef and matchResources.
func ValidateMutatingAdmissionPolicyBinding(obj *admissionv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSSubdomain)
	spec := &obj.Spec
	return append(errs, validateBindingCommon(spec.PolicyName, spec.ParamRef, spec.MatchResources, field.NewPath("spec"))...)
}

// ValidateMutatingAdmissionPolicyBindingUpdate checks an update.
func ValidateMutatingAdmissionPolicyBindingUpdate(obj, old *admissionv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateMutatingAdmissionPolicyBinding(obj)...)
}

func validateBindingCommon(policyName string, paramRef *admissionv1.ParamRef, mr *admissionv1.MatchResources, specPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if policyName == "" {
		errs = append(errs, field.Required(specPath.Child("policyName"), ""))
	} else {
		errs = append(errs, invalidEach(specPath.Child("policyName"), policyName, nameIsDNSSubdomain(policyName, false))...)
	}
	if paramRef != nil {
		errs = append(errs, validateParamRef(paramRef, specPath.Child("paramRef"))...)
	}
	if mr != nil {
		errs = append(errs, validateMatchResources(mr, false, specPath.Child("matchResources"))...)
	}
	return errs
}
