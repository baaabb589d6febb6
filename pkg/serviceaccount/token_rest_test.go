package serviceaccount

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/utils/ptr"
)

type warningRecorder struct {
	mu       sync.Mutex
	warnings []string
}

func (w *warningRecorder) AddWarning(_, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnings = append(w.warnings, text)
}

func TestTokenRESTCreate(t *testing.T) {
	issuer := mustIssuer(t, "", testECKey(t, elliptic.P256()))
	store := newObjectStore()
	store.addServiceAccount("team", "builder", "sa-uid")
	store.addServiceAccount("team", "other", "other-uid")
	store.addSecret("team", "s1", "secret-uid")
	store.addPod("team", "p1", "pod-uid", "builder")
	store.addPod("team", "p2", "pod2-uid", "other")

	tokens, err := NewTokenREST(TokenRESTConfig{
		Issuer:          issuer,
		MaxExpiration:   2 * time.Hour,
		ServiceAccounts: store,
		Secrets:         store,
		Pods:            store,
	})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := NewAuthenticator(AuthenticatorConfig{
		Keys: []crypto.PublicKey{issuer.PublicKey()}, ServiceAccounts: store, Secrets: store, Pods: store,
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		namespace string
		saName    string
		req       authenticationv1.TokenRequest
		// wantStatus is the HTTP code of the error; 0 means success.
		wantStatus  int
		wantErrText string
		// On success:
		wantSeconds   int64
		wantAudiences []string
		wantWarning   string
		wantBoundPod  string
	}{
		{name: "defaults", namespace: "team", saName: "builder", wantSeconds: 3600, wantAudiences: []string{DefaultIssuer}},
		{
			name: "explicit audiences and expiry", namespace: "team", saName: "builder",
			req:         authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: []string{"vault", DefaultIssuer}, ExpirationSeconds: ptr.To[int64](600)}},
			wantSeconds: 600, wantAudiences: []string{"vault", DefaultIssuer},
		},
		{
			name: "longer than the maximum is shortened with a warning", namespace: "team", saName: "builder",
			req:         authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](86400)}},
			wantSeconds: 7200, wantAudiences: []string{DefaultIssuer}, wantWarning: "requested expiration of 86400 seconds shortened to 7200 seconds",
		},
		{
			name: "bound to a secret", namespace: "team", saName: "builder",
			req:         authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: "s1", UID: "secret-uid"}}},
			wantSeconds: 3600, wantAudiences: []string{DefaultIssuer},
		},
		{
			name: "bound to a pod without uid", namespace: "team", saName: "builder",
			req:         authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "p1"}}},
			wantSeconds: 3600, wantAudiences: []string{DefaultIssuer}, wantBoundPod: "p1",
		},
		{
			name: "metadata matching the URL is fine", namespace: "team", saName: "builder",
			req:         authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{Name: "builder", Namespace: "team"}},
			wantSeconds: 3600, wantAudiences: []string{DefaultIssuer},
		},
		{name: "missing service account", namespace: "team", saName: "ghost", wantStatus: http.StatusNotFound, wantErrText: `serviceaccounts "ghost" not found`},
		{name: "service account of another namespace", namespace: "elsewhere", saName: "builder", wantStatus: http.StatusNotFound},
		{name: "no namespace", saName: "builder", wantStatus: http.StatusBadRequest},
		{
			name: "too short", namespace: "team", saName: "builder",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](599)}},
			wantStatus: http.StatusUnprocessableEntity, wantErrText: "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes",
		},
		{
			name: "too long even before the maximum", namespace: "team", saName: "builder",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](1<<32 + 1)}},
			wantStatus: http.StatusUnprocessableEntity, wantErrText: "larger than 2^32 seconds",
		},
		{
			name: "name differs from the URL", namespace: "team", saName: "builder",
			req:        authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{Name: "other"}},
			wantStatus: http.StatusUnprocessableEntity, wantErrText: "metadata.name: Invalid value: \"other\": must match the service account name",
		},
		{
			name: "bound object uid differs", namespace: "team", saName: "builder",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: "s1", UID: "stale"}}},
			wantStatus: http.StatusConflict, wantErrText: "does not match the UID in record",
		},
		{
			name: "pod runs as another service account", namespace: "team", saName: "builder",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "p2"}}},
			wantStatus: http.StatusBadRequest, wantErrText: "different serviceaccount name",
		},
		{
			name: "bound to an unsupported kind", namespace: "team", saName: "builder",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Node", APIVersion: "v1", Name: "n1"}}},
			wantStatus: http.StatusBadRequest, wantErrText: `cannot bind token for object of kind "Node"`,
		},
		{
			name: "bound object missing", namespace: "team", saName: "builder",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: "nope"}}},
			wantStatus: http.StatusNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings := &warningRecorder{}
			ctx := audit.WithAuditContext(warning.WithWarningRecorder(context.Background(), warnings))
			if tt.namespace != "" {
				ctx = genericapirequest.WithNamespace(ctx, tt.namespace)
			}
			in := tt.req.DeepCopy()
			validated := false
			out, err := tokens.Create(ctx, tt.saName, in, func(_ context.Context, obj runtime.Object) error {
				validated = true
				return nil
			}, &metav1.CreateOptions{})
			if tt.wantStatus != 0 {
				var status apierrors.APIStatus
				if !errors.As(err, &status) || int(status.Status().Code) != tt.wantStatus {
					t.Fatalf("want HTTP %d status error, got %v", tt.wantStatus, err)
				}
				if !strings.Contains(err.Error(), tt.wantErrText) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in, tt.req.DeepCopy()) {
				t.Errorf("Create modified its input")
			}
			if !validated {
				t.Errorf("createValidation was not called")
			}
			got := out.(*authenticationv1.TokenRequest)
			if got.Name != tt.saName || got.Namespace != tt.namespace {
				t.Errorf("metadata = %s/%s", got.Namespace, got.Name)
			}
			if *got.Spec.ExpirationSeconds != tt.wantSeconds || !reflect.DeepEqual(got.Spec.Audiences, tt.wantAudiences) {
				t.Errorf("spec = %d s, %q; want %d s, %q", *got.Spec.ExpirationSeconds, got.Spec.Audiences, tt.wantSeconds, tt.wantAudiences)
			}
			claims := claimsOf(t, got.Status.Token)
			if exp := int64(claims["exp"].(float64)); exp != got.Status.ExpirationTimestamp.Unix() || exp-int64(claims["iat"].(float64)) != tt.wantSeconds {
				t.Errorf("exp %d does not match status %s and lifetime %d", exp, got.Status.ExpirationTimestamp, tt.wantSeconds)
			}
			if ann := audit.AuditContextFrom(ctx).GetEventAnnotations()[apiserverserviceaccount.IssuedCredentialIDAuditAnnotationKey]; ann != "JTI="+claims["jti"].(string) {
				t.Errorf("audit annotation = %q, want JTI of the token", ann)
			}
			var wantWarnings []string
			if tt.wantWarning != "" {
				wantWarnings = []string{tt.wantWarning}
			}
			if !reflect.DeepEqual(warnings.warnings, wantWarnings) {
				t.Errorf("warnings = %q, want %q", warnings.warnings, wantWarnings)
			}

			// The token must work against the authenticator for its audiences.
			resp, ok, err := auth.AuthenticateToken(authenticator.WithAudiences(context.Background(), tt.wantAudiences), got.Status.Token)
			if err != nil || !ok {
				t.Fatalf("issued token does not authenticate: %v", err)
			}
			if resp.User.GetName() != "system:serviceaccount:team:builder" {
				t.Errorf("user = %q", resp.User.GetName())
			}
			if podName := resp.User.GetExtra()[apiserverserviceaccount.PodNameKey]; tt.wantBoundPod != "" && !reflect.DeepEqual(podName, []string{tt.wantBoundPod}) {
				t.Errorf("pod-name extra = %q, want %q", podName, tt.wantBoundPod)
			}
		})
	}
}

func TestTokenRESTRefusesWhatAdmissionRefuses(t *testing.T) {
	store := newObjectStore()
	store.addServiceAccount("team", "builder", "sa-uid")
	tokens, err := NewTokenREST(TokenRESTConfig{Issuer: mustIssuer(t, "", testECKey(t, elliptic.P256())), ServiceAccounts: store})
	if err != nil {
		t.Fatal(err)
	}
	denied := apierrors.NewForbidden(schema.GroupResource{Resource: "serviceaccounts/token"}, "builder", nil)
	ctx := genericapirequest.WithNamespace(context.Background(), "team")
	_, err = tokens.Create(ctx, "builder", &authenticationv1.TokenRequest{}, func(context.Context, runtime.Object) error { return denied }, nil)
	if err != denied {
		t.Fatalf("want the admission error, got %v", err)
	}
}

func TestTokenRESTDiscoveryKind(t *testing.T) {
	tokens, err := NewTokenREST(TokenRESTConfig{Issuer: mustIssuer(t, "", testECKey(t, elliptic.P256())), ServiceAccounts: newObjectStore()})
	if err != nil {
		t.Fatal(err)
	}
	want := schema.GroupVersionKind{Group: "authentication.k8s.io", Version: "v1", Kind: "TokenRequest"}
	if got := tokens.GroupVersionKind(schema.GroupVersion{Version: "v1"}); got != want {
		t.Errorf("GroupVersionKind = %v, want %v", got, want)
	}
	if _, ok := tokens.New().(*authenticationv1.TokenRequest); !ok {
		t.Errorf("New() = %T", tokens.New())
	}
}
