package reviews

import (
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// subjectOf is the user a SubjectAccessReview asks about.
func subjectOf(spec authorizationv1.SubjectAccessReviewSpec) user.Info {
	u := &user.DefaultInfo{Name: spec.User, UID: spec.UID, Groups: spec.Groups}
	if len(spec.Extra) > 0 {
		u.Extra = make(map[string][]string, len(spec.Extra))
		for k, v := range spec.Extra {
			u.Extra[k] = []string(v)
		}
	}
	return u
}

// attributesFor builds what the authorizer is asked; a validated spec has
// exactly one of the two attribute kinds.
func attributesFor(u user.Info, resource *authorizationv1.ResourceAttributes, nonResource *authorizationv1.NonResourceAttributes) authorizer.AttributesRecord {
	if resource != nil {
		return resourceAttributes(u, resource)
	}
	return authorizer.AttributesRecord{
		User:            u,
		ResourceRequest: false,
		Path:            nonResource.Path,
		Verb:            nonResource.Verb,
	}
}

func resourceAttributes(u user.Info, in *authorizationv1.ResourceAttributes) authorizer.AttributesRecord {
	version := in.Version
	if version == "" {
		// An empty version asks about every version, as upstream.
		version = "*"
	}
	attrs := authorizer.AttributesRecord{
		User:            u,
		Verb:            in.Verb,
		Namespace:       in.Namespace,
		APIGroup:        in.Group,
		APIVersion:      version,
		Resource:        in.Resource,
		Subresource:     in.Subresource,
		Name:            in.Name,
		ResourceRequest: true,
	}
	// Selector errors travel with the attributes instead of failing the
	// review: the authorizer decides whether it needs the selector.
	if in.LabelSelector != nil {
		attrs.LabelSelectorRequirements, attrs.LabelSelectorParsingErr = labelRequirements(in.LabelSelector)
	}
	if in.FieldSelector != nil {
		attrs.FieldSelectorRequirements, attrs.FieldSelectorParsingErr = fieldRequirements(in.FieldSelector)
	}
	return attrs
}

func labelRequirements(in *authorizationv1.LabelSelectorAttributes) (labels.Requirements, error) {
	if in.RawSelector != "" {
		return labels.ParseToRequirements(in.RawSelector)
	}
	var reqs labels.Requirements
	var errs []error
	for _, r := range in.Requirements {
		var op selection.Operator
		switch r.Operator {
		case metav1.LabelSelectorOpIn:
			op = selection.In
		case metav1.LabelSelectorOpNotIn:
			op = selection.NotIn
		case metav1.LabelSelectorOpExists:
			op = selection.Exists
		case metav1.LabelSelectorOpDoesNotExist:
			op = selection.DoesNotExist
		default:
			errs = append(errs, fmt.Errorf("%q is not a valid label selector operator", r.Operator))
			continue
		}
		req, err := labels.NewRequirement(r.Key, op, r.Values)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		reqs = append(reqs, *req)
	}
	return reqs, utilerrors.NewAggregate(errs)
}

func fieldRequirements(in *authorizationv1.FieldSelectorAttributes) (fields.Requirements, error) {
	if in.RawSelector != "" {
		sel, err := fields.ParseSelector(in.RawSelector)
		if err != nil {
			return nil, err
		}
		return sel.Requirements(), nil
	}
	var reqs fields.Requirements
	var errs []error
	for _, r := range in.Requirements {
		// Field selectors only know = and !=, i.e. In/NotIn of one value.
		switch {
		case r.Operator == metav1.FieldSelectorOpIn && len(r.Values) == 1:
			reqs = append(reqs, fields.Requirement{Field: r.Key, Operator: selection.Equals, Value: r.Values[0]})
		case r.Operator == metav1.FieldSelectorOpNotIn && len(r.Values) == 1:
			reqs = append(reqs, fields.Requirement{Field: r.Key, Operator: selection.NotEquals, Value: r.Values[0]})
		case r.Operator == metav1.FieldSelectorOpIn || r.Operator == metav1.FieldSelectorOpNotIn:
			errs = append(errs, fmt.Errorf("fieldSelectors do not yet support multiple values"))
		default:
			errs = append(errs, fmt.Errorf("fieldSelectors do not yet support %v", r.Operator))
		}
	}
	return reqs, utilerrors.NewAggregate(errs)
}
