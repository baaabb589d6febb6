package validation

import (
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Enums shared by webhook configurations and admission policies.
var (
	operations = []admissionv1.OperationType{
		admissionv1.OperationAll, admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect,
	}
	scopes             = []admissionv1.ScopeType{admissionv1.AllScopes, admissionv1.ClusterScope, admissionv1.NamespacedScope}
	failurePolicies    = []admissionv1.FailurePolicyType{admissionv1.Fail, admissionv1.Ignore}
	matchPolicies      = []admissionv1.MatchPolicyType{admissionv1.Exact, admissionv1.Equivalent}
	reinvocations      = []admissionv1.ReinvocationPolicyType{admissionv1.NeverReinvocationPolicy, admissionv1.IfNeededReinvocationPolicy}
	notFoundActions    = []admissionv1.ParameterNotFoundActionType{admissionv1.AllowAction, admissionv1.DenyAction}
	maxMatchConditions = 64
)

// validateRuleWithOperations checks a webhook or policy rule: operations from
// the known set, "*" alone, then the resource rule.
func validateRuleWithOperations(rule *admissionv1.RuleWithOperations, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	opsPath := fldPath.Child("operations")
	if len(rule.Operations) == 0 {
		errs = append(errs, field.Required(opsPath, ""))
	}
	if len(rule.Operations) > 1 && hasWildcard(rule.Operations) {
		errs = append(errs, field.Invalid(opsPath, rule.Operations, "if '*' is present, must not specify other operations"))
	}
	for i, op := range rule.Operations {
		errs = append(errs, requiredEnum(op, operations, opsPath.Index(i))...)
	}
	return append(errs, validateRule(&rule.Rule, fldPath)...)
}

func validateRule(rule *admissionv1.Rule, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	groupsPath, versionsPath := fldPath.Child("apiGroups"), fldPath.Child("apiVersions")
	if len(rule.APIGroups) == 0 {
		errs = append(errs, field.Required(groupsPath, ""))
	}
	if len(rule.APIGroups) > 1 && hasWildcard(rule.APIGroups) {
		errs = append(errs, field.Invalid(groupsPath, rule.APIGroups, "if '*' is present, must not specify other API groups"))
	}
	if len(rule.APIVersions) == 0 {
		errs = append(errs, field.Required(versionsPath, ""))
	}
	if len(rule.APIVersions) > 1 && hasWildcard(rule.APIVersions) {
		errs = append(errs, field.Invalid(versionsPath, rule.APIVersions, "if '*' is present, must not specify other API versions"))
	}
	for i, v := range rule.APIVersions {
		if v == "" {
			errs = append(errs, field.Required(versionsPath.Index(i), ""))
		}
	}
	errs = append(errs, validateRuleResources(rule.Resources, fldPath.Child("resources"))...)
	if rule.Scope != nil {
		errs = append(errs, requiredEnum(*rule.Scope, scopes, fldPath.Child("scope"))...)
	}
	return errs
}

// validateRuleResources checks "resource[/subresource]" entries and the
// wildcard combinations kube-apiserver rejects as redundant.
func validateRuleResources(resources []string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(resources) == 0 {
		errs = append(errs, field.Required(fldPath, ""))
	}
	wildSubOf := map[string]bool{} // "x/*" seen
	wildResOf := map[string]bool{} // "*/x" seen
	doubleWild, singleWild, plainResource := false, false, false
	for i, rs := range resources {
		if rs == "" {
			errs = append(errs, field.Required(fldPath.Index(i), ""))
			continue
		}
		doubleWild = doubleWild || rs == "*/*"
		singleWild = singleWild || rs == "*"
		res, sub, hasSub := strings.Cut(rs, "/")
		if !hasSub {
			plainResource = plainResource || rs != "*"
			continue
		}
		if wildSubOf[res] {
			errs = append(errs, field.Invalid(fldPath.Index(i), rs, fmt.Sprintf("if '%s/*' is present, must not specify %s", res, rs)))
		}
		if wildResOf[sub] {
			errs = append(errs, field.Invalid(fldPath.Index(i), rs, fmt.Sprintf("if '*/%s' is present, must not specify %s", sub, rs)))
		}
		if sub == "*" {
			wildSubOf[res] = true
		}
		if res == "*" {
			wildResOf[sub] = true
		}
	}
	if len(resources) > 1 && doubleWild {
		errs = append(errs, field.Invalid(fldPath, resources, "if '*/*' is present, must not specify other resources"))
	}
	if singleWild && plainResource {
		errs = append(errs, field.Invalid(fldPath, resources, "if '*' is present, must not specify other resources without subresources"))
	}
	return errs
}

// validateMatchResources checks a policy's or binding's matchResources.
// requireRules is true for a policy's matchConstraints.
func validateMatchResources(mr *admissionv1.MatchResources, requireRules bool, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if mr.MatchPolicy != nil {
		errs = append(errs, requiredEnum(*mr.MatchPolicy, matchPolicies, fldPath.Child("matchPolicy"))...)
	}
	errs = append(errs, validateSelector(mr.NamespaceSelector, fldPath.Child("namespaceSelector"))...)
	errs = append(errs, validateSelector(mr.ObjectSelector, fldPath.Child("objectSelector"))...)
	if requireRules && len(mr.ResourceRules) == 0 {
		errs = append(errs, field.Required(fldPath.Child("resourceRules"), ""))
	}
	errs = append(errs, validateNamedRules(mr.ResourceRules, fldPath.Child("resourceRules"))...)
	return append(errs, validateNamedRules(mr.ExcludeResourceRules, fldPath.Child("excludeResourceRules"))...)
}

func validateNamedRules(rules []admissionv1.NamedRuleWithOperations, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range rules {
		idxPath := fldPath.Index(i)
		for j, name := range rules[i].ResourceNames {
			errs = append(errs, invalidEach(idxPath.Child("resourceNames").Index(j), name, nameIsPathSegment(name, false))...)
		}
		errs = append(errs, validateRuleWithOperations(&rules[i].RuleWithOperations, idxPath)...)
	}
	return errs
}

// validateSelector checks an optional label selector.
func validateSelector(sel *metav1.LabelSelector, fldPath *field.Path) field.ErrorList {
	if sel == nil {
		return nil
	}
	return metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, fldPath)
}

// validateMatchConditions checks names (qualified, unique) and that each has
// an expression. Expressions are not compiled.
func validateMatchConditions(conds []admissionv1.MatchCondition, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(conds) > maxMatchConditions {
		errs = append(errs, field.TooMany(fldPath, len(conds), maxMatchConditions))
	}
	seen := map[string]bool{}
	for i, c := range conds {
		idxPath := fldPath.Index(i)
		if c.Name == "" {
			errs = append(errs, field.Required(idxPath.Child("name"), ""))
		} else {
			errs = append(errs, validateQualifiedName(c.Name, idxPath.Child("name"))...)
			if seen[c.Name] {
				errs = append(errs, field.Duplicate(idxPath.Child("name"), c.Name))
			}
			seen[c.Name] = true
		}
		if strings.TrimSpace(c.Expression) == "" {
			errs = append(errs, field.Required(idxPath.Child("expression"), ""))
		}
	}
	return errs
}

func validateParamKind(pk *admissionv1.ParamKind, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if pk.APIVersion == "" {
		errs = append(errs, field.Required(fldPath.Child("apiVersion"), ""))
	} else if gv, err := schema.ParseGroupVersion(pk.APIVersion); err != nil {
		errs = append(errs, field.Invalid(fldPath.Child("apiVersion"), pk.APIVersion, err.Error()))
	} else if gv.Version == "" {
		errs = append(errs, field.Invalid(fldPath.Child("apiVersion"), pk.APIVersion, "version must be specified"))
	}
	if pk.Kind == "" {
		errs = append(errs, field.Required(fldPath.Child("kind"), ""))
	}
	return errs
}

// validateParamRef matches kube-apiserver: exactly one of name and selector,
// and a parameterNotFoundAction.
func validateParamRef(ref *admissionv1.ParamRef, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case ref.Name == "" && ref.Selector == nil:
		errs = append(errs, field.Required(fldPath, "one of `name` or `selector` must be specified"))
	case ref.Name != "" && ref.Selector != nil:
		errs = append(errs, field.Forbidden(fldPath.Child("name"), "name and selector are mutually exclusive"))
	case ref.Name != "":
		errs = append(errs, invalidEach(fldPath.Child("name"), ref.Name, nameIsDNSSubdomain(ref.Name, false))...)
	default:
		errs = append(errs, validateSelector(ref.Selector, fldPath.Child("selector"))...)
	}
	if ref.Namespace != "" {
		errs = append(errs, validateNamespaceName(ref.Namespace, fldPath.Child("namespace"))...)
	}
	if ref.ParameterNotFoundAction == nil {
		errs = append(errs, field.Required(fldPath.Child("parameterNotFoundAction"), ""))
	} else {
		errs = append(errs, requiredEnum(*ref.ParameterNotFoundAction, notFoundActions, fldPath.Child("parameterNotFoundAction"))...)
	}
	return errs
}
