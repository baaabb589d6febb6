package validation

import (
	"fmt"
	"strings"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/util/shufflesharding"
)

// Limits from kube-apiserver's flowcontrol validation.
const (
	flowSchemaMaxMatchingPrecedence = 10000
	maxQueues                       = 10 * 1000 * 1000
)

var (
	distinguisherMethods = []flowcontrolv1.FlowDistinguisherMethodType{
		flowcontrolv1.FlowDistinguisherMethodByUserType, flowcontrolv1.FlowDistinguisherMethodByNamespaceType,
	}
	flowSubjectKinds = []flowcontrolv1.SubjectKind{
		flowcontrolv1.SubjectKindServiceAccount, flowcontrolv1.SubjectKindGroup, flowcontrolv1.SubjectKindUser,
	}
	priorityLevelTypes = []flowcontrolv1.PriorityLevelEnablement{
		flowcontrolv1.PriorityLevelEnablementExempt, flowcontrolv1.PriorityLevelEnablementLimited,
	}
	limitResponseTypes = []flowcontrolv1.LimitResponseType{flowcontrolv1.LimitResponseTypeQueue, flowcontrolv1.LimitResponseTypeReject}
	flowVerbs          = []string{"get", "list", "create", "update", "delete", "deletecollection", "patch", "watch", "proxy"}
)

// ValidateFlowSchema checks a new FlowSchema: matchingPrecedence in 1..10000
// (1 only for "exempt"), distinguisherMethod enum, a priority level name, and
// rules with subjects and resource/non-resource rules.
func ValidateFlowSchema(obj *flowcontrolv1.FlowSchema) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSSubdomain)
	spec, specPath := &obj.Spec, field.NewPath("spec")
	precPath := specPath.Child("matchingPrecedence")
	switch {
	case spec.MatchingPrecedence <= 0:
		errs = append(errs, field.Invalid(precPath, spec.MatchingPrecedence, "must be a positive value"))
	case spec.MatchingPrecedence > flowSchemaMaxMatchingPrecedence:
		errs = append(errs, field.Invalid(precPath, spec.MatchingPrecedence, fmt.Sprintf("must not be greater than %d", flowSchemaMaxMatchingPrecedence)))
	case spec.MatchingPrecedence == 1 && obj.Name != flowcontrolv1.FlowSchemaNameExempt:
		errs = append(errs, field.Invalid(precPath, spec.MatchingPrecedence, "only the schema named 'exempt' may have matchingPrecedence 1"))
	}
	if spec.DistinguisherMethod != nil {
		errs = append(errs, requiredEnum(spec.DistinguisherMethod.Type, distinguisherMethods, specPath.Child("distinguisherMethod", "type"))...)
	}
	plPath := specPath.Child("priorityLevelConfiguration", "name")
	if spec.PriorityLevelConfiguration.Name == "" {
		errs = append(errs, field.Required(plPath, "must reference a priority level"))
	} else {
		errs = append(errs, invalidEach(plPath, spec.PriorityLevelConfiguration.Name, nameIsDNSSubdomain(spec.PriorityLevelConfiguration.Name, false))...)
	}
	for i := range spec.Rules {
		errs = append(errs, validateFlowRule(&spec.Rules[i], specPath.Child("rules").Index(i))...)
	}
	return errs
}

// ValidateFlowSchemaUpdate checks a FlowSchema update.
func ValidateFlowSchemaUpdate(obj, old *flowcontrolv1.FlowSchema) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateFlowSchema(obj)...)
}

func validateFlowRule(rule *flowcontrolv1.PolicyRulesWithSubjects, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(rule.Subjects) == 0 {
		errs = append(errs, field.Required(fldPath.Child("subjects"), "subjects must contain at least one value"))
	}
	for i := range rule.Subjects {
		errs = append(errs, validateFlowSubject(&rule.Subjects[i], fldPath.Child("subjects").Index(i))...)
	}
	if len(rule.ResourceRules) == 0 && len(rule.NonResourceRules) == 0 {
		errs = append(errs, field.Required(fldPath, "at least one of resourceRules and nonResourceRules has to be non-empty"))
	}
	for i := range rule.ResourceRules {
		errs = append(errs, validateFlowResourceRule(&rule.ResourceRules[i], fldPath.Child("resourceRules").Index(i))...)
	}
	for i := range rule.NonResourceRules {
		errs = append(errs, validateFlowNonResourceRule(&rule.NonResourceRules[i], fldPath.Child("nonResourceRules").Index(i))...)
	}
	return errs
}

// validateFlowSubject requires the member named by kind and forbids the others.
func validateFlowSubject(s *flowcontrolv1.Subject, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	forbid := func(set bool, member, kind string) {
		if set {
			errs = append(errs, field.Forbidden(fldPath.Child(member), fmt.Sprintf("%s is forbidden when subject kind is not '%s'", member, kind)))
		}
	}
	switch s.Kind {
	case flowcontrolv1.SubjectKindServiceAccount:
		saPath := fldPath.Child("serviceAccount")
		if s.ServiceAccount == nil {
			errs = append(errs, field.Required(saPath, "serviceAccount is required when subject kind is 'ServiceAccount'"))
		} else {
			if s.ServiceAccount.Name == "" {
				errs = append(errs, field.Required(saPath.Child("name"), ""))
			} else if s.ServiceAccount.Name != flowcontrolv1.NameAll {
				errs = append(errs, invalidEach(saPath.Child("name"), s.ServiceAccount.Name, nameIsDNSSubdomain(s.ServiceAccount.Name, false))...)
			}
			if s.ServiceAccount.Namespace == "" {
				errs = append(errs, field.Required(saPath.Child("namespace"), "must specify namespace for service account"))
			} else {
				errs = append(errs, validateNamespaceName(s.ServiceAccount.Namespace, saPath.Child("namespace"))...)
			}
		}
		forbid(s.User != nil, "user", "User")
		forbid(s.Group != nil, "group", "Group")
	case flowcontrolv1.SubjectKindUser:
		if s.User == nil {
			errs = append(errs, field.Required(fldPath.Child("user"), "user is required when subject kind is 'User'"))
		} else if s.User.Name == "" {
			errs = append(errs, field.Required(fldPath.Child("user", "name"), ""))
		}
		forbid(s.ServiceAccount != nil, "serviceAccount", "ServiceAccount")
		forbid(s.Group != nil, "group", "Group")
	case flowcontrolv1.SubjectKindGroup:
		if s.Group == nil {
			errs = append(errs, field.Required(fldPath.Child("group"), "group is required when subject kind is 'Group'"))
		} else if s.Group.Name == "" {
			errs = append(errs, field.Required(fldPath.Child("group", "name"), ""))
		}
		forbid(s.ServiceAccount != nil, "serviceAccount", "ServiceAccount")
		forbid(s.User != nil, "user", "User")
	default:
		errs = append(errs, field.NotSupported(fldPath.Child("kind"), s.Kind, flowSubjectKinds))
	}
	return errs
}

func validateFlowVerbs(verbs []string, fldPath *field.Path) field.ErrorList {
	switch {
	case len(verbs) == 0:
		return field.ErrorList{field.Required(fldPath, "verbs must contain at least one value")}
	case hasWildcard(verbs):
		if len(verbs) > 1 {
			return field.ErrorList{field.Invalid(fldPath, verbs, "if '*' is present, must not specify other verbs")}
		}
		return nil
	}
	for _, v := range verbs {
		if !contains(flowVerbs, v) {
			return field.ErrorList{field.NotSupported(fldPath, verbs, flowVerbs)}
		}
	}
	return nil
}

// wildcardAlone reports "*" mixed with other values.
func wildcardAlone(values []string, what string, fldPath *field.Path) field.ErrorList {
	if len(values) > 1 && hasWildcard(values) {
		return field.ErrorList{field.Invalid(fldPath, values, fmt.Sprintf("if '*' is present, must not specify other %s", what))}
	}
	return nil
}

func validateFlowResourceRule(rule *flowcontrolv1.ResourcePolicyRule, fldPath *field.Path) field.ErrorList {
	errs := validateFlowVerbs(rule.Verbs, fldPath.Child("verbs"))
	if len(rule.APIGroups) == 0 {
		errs = append(errs, field.Required(fldPath.Child("apiGroups"), "resource rules must supply at least one api group"))
	}
	errs = append(errs, wildcardAlone(rule.APIGroups, "api groups", fldPath.Child("apiGroups"))...)
	if len(rule.Resources) == 0 {
		errs = append(errs, field.Required(fldPath.Child("resources"), "resource rules must supply at least one resource"))
	}
	errs = append(errs, wildcardAlone(rule.Resources, "resources", fldPath.Child("resources"))...)
	nsPath := fldPath.Child("namespaces")
	switch {
	case len(rule.Namespaces) == 0 && !rule.ClusterScope:
		errs = append(errs, field.Required(nsPath, "resource rules that are not cluster scoped must supply at least one namespace"))
	case hasWildcard(rule.Namespaces):
		errs = append(errs, wildcardAlone(rule.Namespaces, "namespaces", nsPath)...)
	default:
		for i, ns := range rule.Namespaces {
			for _, e := range validateNamespaceName(ns, nsPath.Index(i)) {
				e.Detail = "each member of this list must be '*' or a DNS-1123 label; " + e.Detail
				errs = append(errs, e)
			}
		}
	}
	return errs
}

func validateFlowNonResourceRule(rule *flowcontrolv1.NonResourcePolicyRule, fldPath *field.Path) field.ErrorList {
	errs := validateFlowVerbs(rule.Verbs, fldPath.Child("verbs"))
	urlsPath := fldPath.Child("nonResourceURLs")
	switch {
	case len(rule.NonResourceURLs) == 0:
		errs = append(errs, field.Required(urlsPath, "nonResourceURLs must contain at least one value"))
	case hasWildcard(rule.NonResourceURLs):
		errs = append(errs, wildcardAlone(rule.NonResourceURLs, "non-resource URLs", urlsPath)...)
	default:
		for i, u := range rule.NonResourceURLs {
			if msg := nonResourceURLProblem(u); msg != "" {
				errs = append(errs, field.Invalid(urlsPath.Index(i), u, msg))
			}
		}
	}
	return errs
}

// nonResourceURLProblem explains what is wrong with a non-resource URL
// pattern, or returns "" when it is fine. Only a trailing "/*" glob is allowed.
func nonResourceURLProblem(u string) string {
	switch {
	case u == "":
		return "must not be empty"
	case u == "/":
		return ""
	case !strings.HasPrefix(u, "/"):
		return "must start with slash"
	case strings.Contains(u, " "):
		return "must not contain white-space"
	case strings.Contains(u, "//"):
		return "must not contain double slash"
	}
	if n := strings.Count(u, "*"); n > 1 || (n == 1 && !strings.HasSuffix(u, "/*")) {
		return "wildcard can only do suffix glob matching"
	}
	return ""
}

// ValidatePriorityLevelConfiguration checks a new PriorityLevelConfiguration:
// type Exempt exactly for the object named "exempt", the matching
// limited/exempt member only, non-negative shares, percentages in range, and
// a limitResponse whose queuing parameters make a valid shuffle-sharding deal.
func ValidatePriorityLevelConfiguration(obj *flowcontrolv1.PriorityLevelConfiguration) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSSubdomain)
	spec, specPath := &obj.Spec, field.NewPath("spec")
	if (obj.Name == flowcontrolv1.PriorityLevelConfigurationNameExempt) != (spec.Type == flowcontrolv1.PriorityLevelEnablementExempt) {
		errs = append(errs, field.Invalid(specPath.Child("type"), spec.Type, "type must be 'Exempt' if and only if name is 'exempt'"))
	}
	switch spec.Type {
	case flowcontrolv1.PriorityLevelEnablementExempt:
		if spec.Limited != nil {
			errs = append(errs, field.Forbidden(specPath.Child("limited"), "must be nil if the type is not Limited"))
		}
		if e := spec.Exempt; e != nil {
			exPath := specPath.Child("exempt")
			if e.NominalConcurrencyShares != nil && *e.NominalConcurrencyShares < 0 {
				errs = append(errs, field.Invalid(exPath.Child("nominalConcurrencyShares"), *e.NominalConcurrencyShares, "must be a non-negative number"))
			}
			errs = append(errs, validatePercent(e.LendablePercent, exPath.Child("lendablePercent"))...)
		}
	case flowcontrolv1.PriorityLevelEnablementLimited:
		if spec.Exempt != nil {
			errs = append(errs, field.Forbidden(specPath.Child("exempt"), "must be nil if the type is Limited"))
		}
		if spec.Limited == nil {
			errs = append(errs, field.Required(specPath.Child("limited"), "must not be empty when type is Limited"))
		} else {
			errs = append(errs, validateLimited(spec.Limited, specPath.Child("limited"))...)
		}
	default:
		errs = append(errs, requiredEnum(spec.Type, priorityLevelTypes, specPath.Child("type"))...)
	}
	return errs
}

// ValidatePriorityLevelConfigurationUpdate checks an update.
func ValidatePriorityLevelConfigurationUpdate(obj, old *flowcontrolv1.PriorityLevelConfiguration) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidatePriorityLevelConfiguration(obj)...)
}

func validatePercent(p *int32, fldPath *field.Path) field.ErrorList {
	if p != nil && (*p < 0 || *p > 100) {
		return field.ErrorList{field.Invalid(fldPath, *p, "must be between 0 and 100, inclusive")}
	}
	return nil
}

// validateLimited follows the v1 rules, where zero nominal shares are allowed.
func validateLimited(l *flowcontrolv1.LimitedPriorityLevelConfiguration, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if l.NominalConcurrencyShares != nil && *l.NominalConcurrencyShares < 0 {
		errs = append(errs, field.Invalid(fldPath.Child("nominalConcurrencyShares"), *l.NominalConcurrencyShares, "must be a non-negative integer"))
	}
	errs = append(errs, validatePercent(l.LendablePercent, fldPath.Child("lendablePercent"))...)
	if l.BorrowingLimitPercent != nil && *l.BorrowingLimitPercent < 0 {
		errs = append(errs, field.Invalid(fldPath.Child("borrowingLimitPercent"), *l.BorrowingLimitPercent, "if specified, must be a non-negative integer"))
	}
	lr, lrPath := &l.LimitResponse, fldPath.Child("limitResponse")
	errs = append(errs, requiredEnum(lr.Type, limitResponseTypes, lrPath.Child("type"))...)
	switch lr.Type {
	case flowcontrolv1.LimitResponseTypeReject:
		if lr.Queuing != nil {
			errs = append(errs, field.Forbidden(lrPath.Child("queuing"), "must be nil if limited.limitResponse.type is not Limited"))
		}
	case flowcontrolv1.LimitResponseTypeQueue:
		if lr.Queuing == nil {
			errs = append(errs, field.Required(lrPath.Child("queuing"), "must not be empty if limited.limitResponse.type is Limited"))
		} else {
			errs = append(errs, validateQueuing(lr.Queuing, lrPath.Child("queuing"))...)
		}
	}
	return errs
}

func validateQueuing(q *flowcontrolv1.QueuingConfiguration, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if q.QueueLengthLimit <= 0 {
		errs = append(errs, field.Invalid(fldPath.Child("queueLengthLimit"), q.QueueLengthLimit, "must be positive"))
	}
	queuesPath, handPath := fldPath.Child("queues"), fldPath.Child("handSize")
	switch {
	case q.Queues <= 0:
		errs = append(errs, field.Invalid(queuesPath, q.Queues, "must be positive"))
	case q.Queues > maxQueues:
		errs = append(errs, field.Invalid(queuesPath, q.Queues, fmt.Sprintf("must not be greater than %d", maxQueues)))
	}
	switch {
	case q.HandSize <= 0:
		errs = append(errs, field.Invalid(handPath, q.HandSize, "must be positive"))
	case q.HandSize > q.Queues:
		errs = append(errs, field.Invalid(handPath, q.HandSize, fmt.Sprintf("should not be greater than queues (%d)", q.Queues)))
	default:
		if bits := shufflesharding.RequiredEntropyBits(int(q.Queues), int(q.HandSize)); bits > shufflesharding.MaxHashBits {
			errs = append(errs, field.Invalid(handPath, q.HandSize, fmt.Sprintf("required entropy bits of deckSize %d and handSize %d should not be greater than %d", q.Queues, q.HandSize, shufflesharding.MaxHashBits)))
		}
	}
	return errs
}
