package reviews

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"
)

// errAuthenticatorAudiences is returned when an authenticator accepts a
// token for none of the audiences asked for: that is an authenticator bug,
// reported as a 500 as upstream does rather than as a positive review.
var errAuthenticatorAudiences = apierrors.NewInternalError(errors.New("error validating audiences"))

// TokenReviewREST serves authentication.k8s.io/v1 tokenreviews: it says
// whether this server accepts spec.token and for whom.
type TokenReviewREST struct {
	reviewKind
	auth         authenticator.Request
	apiAudiences authenticator.Audiences
}

// NewTokenReviewREST reviews tokens with auth, the server's request
// authenticator. Reviews without spec.audiences check against apiAudiences
// (the server's --api-audiences; may be empty). A nil auth makes every
// review come back unauthenticated, like a server without authentication.
func NewTokenReviewREST(auth authenticator.Request, apiAudiences authenticator.Audiences) *TokenReviewREST {
	return &TokenReviewREST{
		reviewKind:   reviewKind{newObject: func() runtime.Object { return &authenticationv1.TokenReview{} }, singular: "tokenreview"},
		auth:         auth,
		apiAudiences: apiAudiences,
	}
}

// TokenAuthenticatorRequest turns a token authenticator into the request
// authenticator NewTokenReviewREST takes (bearer token header).
func TokenAuthenticatorRequest(auth authenticator.Token) authenticator.Request {
	return bearertoken.New(auth)
}

// Create authenticates spec.token and fills status.
func (r *TokenReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authenticationv1.TokenReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenReview: %T", obj))
	}
	if ns := genericapirequest.NamespaceValue(ctx); ns != "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is not allowed on this type: %v", ns))
	}
	if review.Spec.Token == "" {
		return nil, apierrors.NewBadRequest("token is required for TokenReview in authentication")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	review = review.DeepCopy()
	review.Status = authenticationv1.TokenReviewStatus{}
	if r.auth == nil {
		return review, nil
	}

	// A request carrying nothing but the token, so no other credential of
	// the caller can leak into the answer.
	auds := authenticator.Audiences(review.Spec.Audiences)
	if len(auds) == 0 {
		auds = r.apiAudiences
	}
	reqCtx := ctx
	if len(auds) > 0 {
		reqCtx = authenticator.WithAudiences(ctx, auds)
	}
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, "/", nil)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	req.Header.Set("Authorization", "Bearer "+review.Spec.Token)

	resp, authenticated, err := r.auth.AuthenticateRequest(req)
	review.Status.Authenticated = authenticated
	if err != nil {
		review.Status.Error = err.Error()
	}
	if resp == nil {
		return review, nil
	}
	if len(auds) > 0 && len(auds.Intersect(resp.Audiences)) == 0 {
		klog.ErrorS(nil, "Authenticator accepted a token for none of the requested audiences", "want", auds, "got", resp.Audiences)
		return nil, errAuthenticatorAudiences
	}
	if resp.User != nil {
		review.Status.User = userInfoOf(resp.User)
	}
	review.Status.Audiences = resp.Audiences
	return review, nil
}

func userInfoOf(u user.Info) authenticationv1.UserInfo {
	info := authenticationv1.UserInfo{
		Username: u.GetName(),
		UID:      u.GetUID(),
		Groups:   u.GetGroups(),
	}
	if extra := u.GetExtra(); len(extra) > 0 {
		info.Extra = make(map[string]authenticationv1.ExtraValue, len(extra))
		for k, v := range extra {
			info.Extra[k] = authenticationv1.ExtraValue(v)
		}
	}
	return info
}
