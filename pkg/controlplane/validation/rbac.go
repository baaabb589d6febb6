package validation

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	roleBindingRoleKinds        = []string{"Role", "ClusterRole"}
	clusterRoleBindingRoleKinds = []string{"ClusterRole"}
	subjectKinds                = []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}
)

// ValidateRole checks a new Role: a path-segment name and rules with verbs
// and resources; namespaced rules cannot name non-resource URLs.
func ValidateRole(obj *rbacv1.Role) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsPathSegment)
	return append(errs, validatePolicyRules(obj.Rules, true)...)
}

// ValidateRoleUpdate checks a Role update.
func ValidateRoleUpdate(obj, old *rbacv1.Role) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateRole(obj)...)
}

// ValidateClusterRole checks a new ClusterRole: rules as for Role (but
// non-resource URLs are allowed) and aggregationRule selectors.
func ValidateClusterRole(obj *rbacv1.ClusterRole) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsPathSegment)
	errs = append(errs, validatePolicyRules(obj.Rules, false)...)
	if obj.AggregationRule == nil {
		return errs
	}
	selPath := field.NewPath("aggregationRule", "clusterRoleSelectors")
	if len(obj.AggregationRule.ClusterRoleSelectors) == 0 {
		errs = append(errs, field.Required(selPath, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
	}
	for i := range obj.AggregationRule.ClusterRoleSelectors {
		sel := &obj.AggregationRule.ClusterRoleSelectors[i]
		selErrs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, selPath.Index(i))
		errs = append(errs, selErrs...)
		if _, err := metav1.LabelSelectorAsSelector(sel); err != nil && len(selErrs) == 0 {
			errs = append(errs, field.Invalid(selPath.Index(i), sel, "invalid label selector."))
		}
	}
	return errs
}

// ValidateClusterRoleUpdate checks a ClusterRole update.
func ValidateClusterRoleUpdate(obj, old *rbacv1.ClusterRole) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateClusterRole(obj)...)
}

func validatePolicyRules(rules []rbacv1.PolicyRule, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	for i := range rules {
		errs = append(errs, validatePolicyRule(&rules[i], namespaced, field.NewPath("rules").Index(i))...)
	}
	return errs
}

// validatePolicyRule matches kube-apiserver: verbs are required; a rule is
// either about non-resource URLs (cluster roles only) or about resources,
// which then need apiGroups and resources.
func validatePolicyRule(rule *rbacv1.PolicyRule, namespaced bool, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(rule.Verbs) == 0 {
		errs = append(errs, field.Required(fldPath.Child("verbs"), "verbs must contain at least one value"))
	}
	if len(rule.NonResourceURLs) > 0 {
		urlsPath := fldPath.Child("nonResourceURLs")
		if namespaced {
			errs = append(errs, field.Invalid(urlsPath, rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
		}
		if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
			errs = append(errs, field.Invalid(urlsPath, rule.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
		}
		return errs
	}
	if len(rule.APIGroups) == 0 {
		errs = append(errs, field.Required(fldPath.Child("apiGroups"), "resource rules must supply at least one api group"))
	}
	if len(rule.Resources) == 0 {
		errs = append(errs, field.Required(fldPath.Child("resources"), "resource rules must supply at least one resource"))
	}
	return errs
}

// ValidateRoleBinding checks a new RoleBinding: roleRef to a Role or
// ClusterRole in rbac.authorization.k8s.io, and valid subjects.
func ValidateRoleBinding(obj *rbacv1.RoleBinding) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsPathSegment)
	errs = append(errs, validateRoleRef(obj.RoleRef, roleBindingRoleKinds)...)
	return append(errs, validateSubjects(obj.Subjects, true)...)
}

// ValidateRoleBindingUpdate checks a RoleBinding update; roleRef is immutable.
func ValidateRoleBindingUpdate(obj, old *rbacv1.RoleBinding) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateRoleRefUnchanged(obj.RoleRef, old.RoleRef)...)
	return append(errs, ValidateRoleBinding(obj)...)
}

// ValidateClusterRoleBinding checks a new ClusterRoleBinding: roleRef to a
// ClusterRole, and subjects (service accounts need a namespace).
func ValidateClusterRoleBinding(obj *rbacv1.ClusterRoleBinding) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsPathSegment)
	errs = append(errs, validateRoleRef(obj.RoleRef, clusterRoleBindingRoleKinds)...)
	return append(errs, validateSubjects(obj.Subjects, false)...)
}

// ValidateClusterRoleBindingUpdate checks a ClusterRoleBinding update; roleRef
// is immutable.
func ValidateClusterRoleBindingUpdate(obj, old *rbacv1.ClusterRoleBinding) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateRoleRefUnchanged(obj.RoleRef, old.RoleRef)...)
	return append(errs, ValidateClusterRoleBinding(obj)...)
}

func validateRoleRef(ref rbacv1.RoleRef, kinds []string) field.ErrorList {
	var errs field.ErrorList
	refPath := field.NewPath("roleRef")
	if ref.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(refPath.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	if !contains(kinds, ref.Kind) {
		errs = append(errs, field.NotSupported(refPath.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(refPath.Child("name"), ""))
	} else {
		errs = append(errs, invalidEach(refPath.Child("name"), ref.Name, nameIsPathSegment(ref.Name, false))...)
	}
	return errs
}

func validateRoleRefUnchanged(ref, old rbacv1.RoleRef) field.ErrorList {
	if ref != old {
		return field.ErrorList{field.Invalid(field.NewPath("roleRef"), ref, "cannot change roleRef")}
	}
	return nil
}

// validateSubjects matches kube-apiserver: users and groups belong to
// rbac.authorization.k8s.io; service accounts to the core group, with a
// namespace required in cluster-scoped bindings.
func validateSubjects(subjects []rbacv1.Subject, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	for i, s := range subjects {
		fldPath := field.NewPath("subjects").Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(fldPath.Child("name"), ""))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.Name != "" {
				errs = append(errs, invalidEach(fldPath.Child("name"), s.Name, nameIsDNSSubdomain(s.Name, false))...)
			}
			if s.APIGroup != "" {
				errs = append(errs, field.NotSupported(fldPath.Child("apiGroup"), s.APIGroup, []string{""}))
			}
			if !namespaced && s.Namespace == "" {
				errs = append(errs, field.Required(fldPath.Child("namespace"), ""))
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != rbacv1.GroupName {
				errs = append(errs, field.NotSupported(fldPath.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
			}
		default:
			errs = append(errs, field.NotSupported(fldPath.Child("kind"), s.Kind, subjectKinds))
		}
	}
	return errs
}

func contains(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}
