package reviews

import (
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The rules and messages below follow upstream's
// pkg/apis/authorization/validation, rewritten for the v1 types.

func validateSubjectAccessReviewSpec(spec authorizationv1.SubjectAccessReviewSpec, fldPath *field.Path) field.ErrorList {
	errs := validateAttributesChoice(spec.ResourceAttributes, spec.NonResourceAttributes, fldPath)
	if spec.User == "" && len(spec.Groups) == 0 {
		errs = append(errs, field.Invalid(fldPath.Child("user"), spec.User, "at least one of user or group must be specified"))
	}
	return append(errs, validateResourceAttributes(spec.ResourceAttributes, fldPath.Child("resourceAttributes"))...)
}

func validateSelfSubjectAccessReviewSpec(spec authorizationv1.SelfSubjectAccessReviewSpec, fldPath *field.Path) field.ErrorList {
	errs := validateAttributesChoice(spec.ResourceAttributes, spec.NonResourceAttributes, fldPath)
	return append(errs, validateResourceAttributes(spec.ResourceAttributes, fldPath.Child("resourceAttributes"))...)
}

// validateAttributesChoice requires exactly one of resourceAttributes and
// nonResourceAttributes.
func validateAttributesChoice(resource *authorizationv1.ResourceAttributes, nonResource *authorizationv1.NonResourceAttributes, fldPath *field.Path) field.ErrorList {
	switch {
	case resource != nil && nonResource != nil:
		return field.ErrorList{field.Invalid(fldPath.Child("nonResourceAttributes"), nonResource, "cannot be specified in combination with resourceAttributes")}
	case resource == nil && nonResource == nil:
		return field.ErrorList{field.Invalid(fldPath.Child("resourceAttributes"), nonResource, "exactly one of nonResourceAttributes or resourceAttributes must be specified")}
	}
	return nil
}

func validateResourceAttributes(attrs *authorizationv1.ResourceAttributes, fldPath *field.Path) field.ErrorList {
	if attrs == nil {
		return nil
	}
	var errs field.ErrorList
	if sel := attrs.FieldSelector; sel != nil {
		path := fldPath.Child("fieldSelector")
		errs = append(errs, validateSelectorChoice(sel.RawSelector, len(sel.Requirements), path)...)
		// Unknown operators are allowed so newer clients can still be
		// authorized; the authorizer sees the parsing error instead.
		opts := metav1validation.FieldSelectorValidationOptions{AllowUnknownOperatorInRequirement: true}
		for i, r := range sel.Requirements {
			errs = append(errs, metav1validation.ValidateFieldSelectorRequirement(r, opts, path.Child("requirements").Index(i))...)
		}
	}
	if sel := attrs.LabelSelector; sel != nil {
		path := fldPath.Child("labelSelector")
		errs = append(errs, validateSelectorChoice(sel.RawSelector, len(sel.Requirements), path)...)
		opts := metav1validation.LabelSelectorValidationOptions{AllowUnknownOperatorInRequirement: true}
		for i, r := range sel.Requirements {
			errs = append(errs, metav1validation.ValidateLabelSelectorRequirement(r, opts, path.Child("requirements").Index(i))...)
		}
	}
	return errs
}

func validateSelectorChoice(raw string, requirements int, fldPath *field.Path) field.ErrorList {
	switch {
	case raw != "" && requirements > 0:
		return field.ErrorList{field.Invalid(fldPath.Child("rawSelector"), raw, "may not specified at the same time as requirements")}
	case raw == "" && requirements == 0:
		return field.ErrorList{field.Required(fldPath.Child("requirements"), fmt.Sprintf("when %s is specified, requirements or rawSelector is required", fldPath))}
	}
	return nil
}

// validateEmptyMeta requires metadata to be empty apart from managedFields
// (and the namespace when allowNamespace): reviews are not stored, so names,
// labels and the like would be silently dropped.
func validateEmptyMeta(meta metav1.ObjectMeta, allowNamespace bool) field.ErrorList {
	meta.ManagedFields = nil
	msg := "must be empty"
	if allowNamespace {
		meta.Namespace = ""
		msg = "must be empty except for namespace"
	}
	if !apiequality.Semantic.DeepEqual(metav1.ObjectMeta{}, meta) {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), meta, msg)}
	}
	return nil
}
