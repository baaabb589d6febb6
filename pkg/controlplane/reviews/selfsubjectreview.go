package reviews

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// SelfSubjectReviewREST serves authentication.k8s.io/v1
// selfsubjectreviews (`kubectl auth whoami`): the caller's own user info.
type SelfSubjectReviewREST struct {
	reviewKind
}

// NewSelfSubjectReviewREST returns the storage; it needs nothing but the
// user the server's authentication put in the request context.
func NewSelfSubjectReviewREST() *SelfSubjectReviewREST {
	return &SelfSubjectReviewREST{
		reviewKind: reviewKind{newObject: func() runtime.Object { return &authenticationv1.SelfSubjectReview{} }, singular: "selfsubjectreview"},
	}
}

// Create returns the requesting user.
func (r *SelfSubjectReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	if _, ok := obj.(*authenticationv1.SelfSubjectReview); !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectReview: %T", obj))
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	return &authenticationv1.SelfSubjectReview{
		ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Now())},
		Status:     authenticationv1.SelfSubjectReviewStatus{UserInfo: userInfoOf(u)},
	}, nil
}
