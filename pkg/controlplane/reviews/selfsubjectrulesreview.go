package reviews

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// SelfSubjectRulesReviewREST serves authorization.k8s.io/v1
// selfsubjectrulesreviews (`kubectl auth can-i --list`): what may I do in
// spec.namespace?
type SelfSubjectRulesReviewREST struct {
	reviewKind
	rules authorizer.RuleResolver
}

// NewSelfSubjectRulesReviewREST lists rules with rules, the server's rule
// resolver (genericapiserver.Config.RuleResolver).
func NewSelfSubjectRulesReviewREST(rules authorizer.RuleResolver) *SelfSubjectRulesReviewREST {
	return &SelfSubjectRulesReviewREST{
		reviewKind: reviewKind{newObject: func() runtime.Object { return &authorizationv1.SelfSubjectRulesReview{} }, singular: "selfsubjectrulesreview"},
		rules:      rules,
	}
}

// Create lists the requesting user's rules in spec.namespace.
func (r *SelfSubjectRulesReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectRulesReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectRulesReview: %T", obj))
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	namespace := review.Spec.Namespace
	if namespace == "" {
		return nil, apierrors.NewBadRequest("no namespace on request")
	}
	if err := runCreateValidation(ctx, obj, createValidation); err != nil {
		return nil, err
	}

	resourceRules, nonResourceRules, incomplete, err := r.rules.RulesFor(ctx, u, namespace)
	out := &authorizationv1.SelfSubjectRulesReview{
		Spec: review.Spec,
		Status: authorizationv1.SubjectRulesReviewStatus{
			// Empty lists, not null: the fields are required in the API.
			ResourceRules:    make([]authorizationv1.ResourceRule, 0, len(resourceRules)),
			NonResourceRules: make([]authorizationv1.NonResourceRule, 0, len(nonResourceRules)),
			Incomplete:       incomplete,
		},
	}
	for _, rule := range resourceRules {
		out.Status.ResourceRules = append(out.Status.ResourceRules, authorizationv1.ResourceRule{
			Verbs:         rule.GetVerbs(),
			APIGroups:     rule.GetAPIGroups(),
			Resources:     rule.GetResources(),
			ResourceNames: rule.GetResourceNames(),
		})
	}
	for _, rule := range nonResourceRules {
		out.Status.NonResourceRules = append(out.Status.NonResourceRules, authorizationv1.NonResourceRule{
			Verbs:           rule.GetVerbs(),
			NonResourceURLs: rule.GetNonResourceURLs(),
		})
	}
	if err != nil {
		out.Status.EvaluationError = err.Error()
	}
	return out, nil
}
