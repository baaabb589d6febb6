package reviews

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"reflect"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/aggkit/aggkit/pkg/serviceaccount"
)

// tokenReviewFixture is a server-like authenticator: service-account
// tokens and a static token file, unioned, with system:authenticated added,
// the way a generic apiserver assembles its authenticator.
type tokenReviewFixture struct {
	auth    authenticator.Request
	saToken func(audiences ...string) string
}

func newTokenReviewFixture(t *testing.T, apiAudiences authenticator.Audiences) *tokenReviewFixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer("", key)
	if err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "builder", UID: "sa-uid"}}
	saAuth, err := serviceaccount.NewAuthenticator(serviceaccount.AuthenticatorConfig{
		Keys:         []crypto.PublicKey{issuer.PublicKey()},
		APIAudiences: apiAudiences,
		ServiceAccounts: serviceaccount.ServiceAccountGetterFunc(func(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
			if ns == sa.Namespace && name == sa.Name {
				return sa, nil
			}
			return nil, apierrors.NewNotFound(corev1.Resource("serviceaccounts"), name)
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	static := tokenfile.New(map[string]*user.DefaultInfo{"static-token": {Name: "ops", UID: "ops-uid", Groups: []string{"operators"}}})
	auth := group.NewAuthenticatedGroupAdder(union.New(
		TokenAuthenticatorRequest(saAuth),
		// Static tokens know nothing of audiences; upstream wraps such
		// authenticators so they answer for the API audiences.
		TokenAuthenticatorRequest(authenticator.WrapAudienceAgnosticToken(apiAudiences, static)),
	))
	return &tokenReviewFixture{
		auth: auth,
		saToken: func(audiences ...string) string {
			tok, err := issuer.IssueToken(serviceaccount.TokenOptions{ServiceAccount: sa, Audiences: audiences, Lifetime: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			return tok.Token
		},
	}
}

func TestTokenReview(t *testing.T) {
	apiAudiences := authenticator.Audiences{serviceaccount.DefaultIssuer}
	fx := newTokenReviewFixture(t, apiAudiences)
	saUser := authenticationv1.UserInfo{
		Username: "system:serviceaccount:team:builder",
		UID:      "sa-uid",
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"},
	}

	defaultToken := fx.saToken(serviceaccount.DefaultIssuer)
	vaultToken := fx.saToken("vault", "etcd")
	tests := []struct {
		name      string
		spec      authenticationv1.TokenReviewSpec
		want      authenticationv1.TokenReviewStatus
		wantExtra bool // service-account user: credential-id extra present
	}{
		{
			name:      "service account token for the API audience",
			spec:      authenticationv1.TokenReviewSpec{Token: defaultToken},
			want:      authenticationv1.TokenReviewStatus{Authenticated: true, User: saUser, Audiences: []string{serviceaccount.DefaultIssuer}},
			wantExtra: true,
		},
		{
			name:      "review audiences replace the API audiences",
			spec:      authenticationv1.TokenReviewSpec{Token: vaultToken, Audiences: []string{"vault"}},
			want:      authenticationv1.TokenReviewStatus{Authenticated: true, User: saUser, Audiences: []string{"vault"}},
			wantExtra: true,
		},
		{
			name: "token for another audience",
			spec: authenticationv1.TokenReviewSpec{Token: vaultToken},
			want: authenticationv1.TokenReviewStatus{Error: `[token audiences ["vault" "etcd"] is invalid for the target audiences ["https://kubernetes.default.svc"], invalid bearer token]`},
		},
		{
			name: "static token",
			spec: authenticationv1.TokenReviewSpec{Token: "static-token"},
			want: authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: []string{serviceaccount.DefaultIssuer}, User: authenticationv1.UserInfo{
				Username: "ops", UID: "ops-uid", Groups: []string{"operators", "system:authenticated"},
			}},
		},
		{
			name: "unknown token",
			spec: authenticationv1.TokenReviewSpec{Token: "nobody-knows-me"},
			want: authenticationv1.TokenReviewStatus{Error: "invalid bearer token"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := NewTokenReviewREST(fx.auth, apiAudiences).Create(context.Background(), &authenticationv1.TokenReview{Spec: tt.spec}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := out.(*authenticationv1.TokenReview).Status
			extra := got.User.Extra
			got.User.Extra = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("status =\n%+v\nwant\n%+v", got, tt.want)
			}
			if hasID := len(extra["authentication.kubernetes.io/credential-id"]) == 1; hasID != tt.wantExtra {
				t.Errorf("extra = %v, want credential-id: %v", extra, tt.wantExtra)
			}
		})
	}
}

func TestTokenReviewRefusals(t *testing.T) {
	fx := newTokenReviewFixture(t, nil)
	// An authenticator that ignores audiences entirely: accepting a token
	// for none of the requested audiences is a server bug, not a "yes".
	careless := authenticator.RequestFunc(func(*http.Request) (*authenticator.Response, bool, error) {
		return &authenticator.Response{User: &user.DefaultInfo{Name: "x"}}, true, nil
	})
	tests := []struct {
		name     string
		auth     authenticator.Request
		ctx      context.Context
		spec     authenticationv1.TokenReviewSpec
		wantCode int
	}{
		{name: "empty token", auth: fx.auth, ctx: context.Background(), wantCode: http.StatusBadRequest},
		{name: "namespaced request", auth: fx.auth, ctx: genericapirequest.WithNamespace(context.Background(), "team"), spec: authenticationv1.TokenReviewSpec{Token: "t"}, wantCode: http.StatusBadRequest},
		{name: "authenticator ignores audiences", auth: careless, ctx: context.Background(), spec: authenticationv1.TokenReviewSpec{Token: "t", Audiences: []string{"vault"}}, wantCode: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTokenReviewREST(tt.auth, nil).Create(tt.ctx, &authenticationv1.TokenReview{Spec: tt.spec}, nil, nil)
			checkStatusError(t, err, tt.wantCode, nil)
		})
	}
}

func TestTokenReviewWithoutAuthenticator(t *testing.T) {
	out, err := NewTokenReviewREST(nil, nil).Create(context.Background(), &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "t"}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(*authenticationv1.TokenReview).Status; !reflect.DeepEqual(got, authenticationv1.TokenReviewStatus{}) {
		t.Errorf("status = %+v, want unauthenticated", got)
	}
}

func TestSelfSubjectReview(t *testing.T) {
	me := &user.DefaultInfo{Name: "alice", UID: "a-1", Groups: []string{"dev", "system:authenticated"}, Extra: map[string][]string{"scopes": {"x"}}}
	out, err := NewSelfSubjectReviewREST().Create(genericapirequest.WithUser(context.Background(), me), &authenticationv1.SelfSubjectReview{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := authenticationv1.UserInfo{Username: "alice", UID: "a-1", Groups: []string{"dev", "system:authenticated"}, Extra: map[string]authenticationv1.ExtraValue{"scopes": {"x"}}}
	got := out.(*authenticationv1.SelfSubjectReview)
	if !reflect.DeepEqual(got.Status.UserInfo, want) {
		t.Errorf("user info = %+v, want %+v", got.Status.UserInfo, want)
	}
	if got.CreationTimestamp.IsZero() {
		t.Errorf("creationTimestamp not set")
	}

	_, err = NewSelfSubjectReviewREST().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, nil, nil)
	checkStatusError(t, err, http.StatusBadRequest, nil)
}
