package reviews

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// SubjectAccessReviewREST serves authorization.k8s.io/v1
// subjectaccessreviews: may the user in spec do this?
type SubjectAccessReviewREST struct {
	reviewKind
	authz authorizer.UnconditionalAuthorizer
}

// NewSubjectAccessReviewREST answers with authz, the server's authorizer.
func NewSubjectAccessReviewREST(authz authorizer.UnconditionalAuthorizer) *SubjectAccessReviewREST {
	return &SubjectAccessReviewREST{
		reviewKind: reviewKind{newObject: func() runtime.Object { return &authorizationv1.SubjectAccessReview{} }, singular: "subjectaccessreview"},
		authz:      authz,
	}
}

// Create validates the review, asks the authorizer and fills status.
func (r *SubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SubjectAccessReview: %T", obj))
	}
	errs := validateSubjectAccessReviewSpec(review.Spec, field.NewPath("spec"))
	if errs = append(errs, validateEmptyMeta(review.ObjectMeta, false)...); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SubjectAccessReview").GroupKind(), "", errs)
	}
	if err := runCreateValidation(ctx, obj, createValidation); err != nil {
		return nil, err
	}
	review = review.DeepCopy()
	attrs := attributesFor(subjectOf(review.Spec), review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes)
	review.Status = decide(ctx, r.authz, attrs)
	return review, nil
}

// LocalSubjectAccessReviewREST serves namespaced authorization.k8s.io/v1
// localsubjectaccessreviews: a SubjectAccessReview limited to the URL's
// namespace, so it can be granted to namespace admins.
type LocalSubjectAccessReviewREST struct {
	reviewKind
	authz authorizer.UnconditionalAuthorizer
}

// NewLocalSubjectAccessReviewREST answers with authz, the server's authorizer.
func NewLocalSubjectAccessReviewREST(authz authorizer.UnconditionalAuthorizer) *LocalSubjectAccessReviewREST {
	return &LocalSubjectAccessReviewREST{
		reviewKind: reviewKind{newObject: func() runtime.Object { return &authorizationv1.LocalSubjectAccessReview{} }, singular: "localsubjectaccessreview", namespaced: true},
		authz:      authz,
	}
}

// Create validates the review against the URL's namespace, asks the
// authorizer and fills status.
func (r *LocalSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.LocalSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a LocalSubjectAccessReview: %T", obj))
	}
	if errs := validateLocalSubjectAccessReview(review); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("LocalSubjectAccessReview").GroupKind(), "", errs)
	}
	// The API handler already defaults metadata.namespace to the URL's and
	// refuses a different one; this guards direct callers the same way.
	namespace := genericapirequest.NamespaceValue(ctx)
	if namespace == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is required on this type: %v", namespace))
	}
	if namespace != review.Namespace {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must match namespace: %v", namespace))
	}
	if err := runCreateValidation(ctx, obj, createValidation); err != nil {
		return nil, err
	}
	review = review.DeepCopy()
	attrs := attributesFor(subjectOf(review.Spec), review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes)
	review.Status = decide(ctx, r.authz, attrs)
	return review, nil
}

func validateLocalSubjectAccessReview(review *authorizationv1.LocalSubjectAccessReview) field.ErrorList {
	errs := validateSubjectAccessReviewSpec(review.Spec, field.NewPath("spec"))
	errs = append(errs, validateEmptyMeta(review.ObjectMeta, true)...)
	if attrs := review.Spec.ResourceAttributes; attrs != nil && attrs.Namespace != review.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("spec", "resourceAttributes", "namespace"), attrs.Namespace, "must match metadata.namespace"))
	}
	if review.Spec.NonResourceAttributes != nil {
		errs = append(errs, field.Invalid(field.NewPath("spec", "nonResourceAttributes"), review.Spec.NonResourceAttributes, "disallowed on this kind of request"))
	}
	return errs
}

// SelfSubjectAccessReviewREST serves authorization.k8s.io/v1
// selfsubjectaccessreviews (`kubectl auth can-i`): may I do this?
type SelfSubjectAccessReviewREST struct {
	reviewKind
	authz authorizer.UnconditionalAuthorizer
}

// NewSelfSubjectAccessReviewREST answers with authz, the server's authorizer.
func NewSelfSubjectAccessReviewREST(authz authorizer.UnconditionalAuthorizer) *SelfSubjectAccessReviewREST {
	return &SelfSubjectAccessReviewREST{
		reviewKind: reviewKind{newObject: func() runtime.Object { return &authorizationv1.SelfSubjectAccessReview{} }, singular: "selfsubjectaccessreview"},
		authz:      authz,
	}
}

// Create asks the authorizer about the requesting user and fills status.
func (r *SelfSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectAccessReview: %T", obj))
	}
	errs := validateSelfSubjectAccessReviewSpec(review.Spec, field.NewPath("spec"))
	if errs = append(errs, validateEmptyMeta(review.ObjectMeta, false)...); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview").GroupKind(), "", errs)
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if err := runCreateValidation(ctx, obj, createValidation); err != nil {
		return nil, err
	}
	review = review.DeepCopy()
	review.Status = decide(ctx, r.authz, attributesFor(u, review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes))
	return review, nil
}

// decide asks the authorizer and reports its answer as upstream does: a
// NoOpinion is neither allowed nor denied. Reviews take the unconditional
// answer: the v1 status has no way to carry authorization conditions.
func decide(ctx context.Context, authz authorizer.UnconditionalAuthorizer, attrs authorizer.Attributes) authorizationv1.SubjectAccessReviewStatus {
	decision, reason, err := authz.Authorize(ctx, attrs)
	status := authorizationv1.SubjectAccessReviewStatus{
		Allowed: decision == authorizer.DecisionAllow,
		Denied:  decision == authorizer.DecisionDeny,
		Reason:  reason,
	}
	if err != nil {
		status.EvaluationError = err.Error()
	}
	return status
}

func runCreateValidation(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc) error {
	if createValidation == nil {
		return nil
	}
	return createValidation(ctx, obj.DeepCopyObject())
}
