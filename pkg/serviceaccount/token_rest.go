package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/audit"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
)

const (
	// DefaultTokenExpirationSeconds applies when a TokenRequest leaves
	// spec.expirationSeconds unset, as upstream defaulting does.
	DefaultTokenExpirationSeconds int64 = 3600
	// minTokenExpirationSeconds and maxTokenExpirationSeconds are
	// upstream's validation bounds for spec.expirationSeconds.
	minTokenExpirationSeconds int64 = 600
	maxTokenExpirationSeconds int64 = 1 << 32
)

var tokenRequestKind = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")

// TokenRESTConfig configures NewTokenREST.
type TokenRESTConfig struct {
	// Issuer signs the tokens. Required.
	Issuer *Issuer
	// Audiences fill spec.audiences when a request leaves it empty;
	// defaults to the issuer name (kube-apiserver uses --api-audiences).
	Audiences []string
	// MaxExpiration, when positive, shortens longer requests to this
	// lifetime with a warning, like --service-account-max-token-expiration.
	MaxExpiration time.Duration
	// ServiceAccounts finds the service account named in the URL. Required.
	ServiceAccounts ServiceAccountGetter
	// Secrets and Pods resolve spec.boundObjectRef; binding to a kind
	// whose getter is nil is refused.
	Secrets SecretGetter
	Pods    PodGetter
}

// TokenREST serves the serviceaccounts/token subresource: POSTing a
// TokenRequest returns it with status.token filled.
type TokenREST struct {
	cfg TokenRESTConfig
}

var (
	_ rest.Storage                  = &TokenREST{}
	_ rest.NamedCreater             = &TokenREST{}
	_ rest.GroupVersionKindProvider = &TokenREST{}
)

// NewTokenREST checks cfg and returns the subresource storage.
func NewTokenREST(cfg TokenRESTConfig) (*TokenREST, error) {
	if cfg.Issuer == nil {
		return nil, errors.New("serviceaccounts/token needs an Issuer")
	}
	if cfg.ServiceAccounts == nil {
		return nil, errors.New("serviceaccounts/token needs a ServiceAccountGetter")
	}
	if len(cfg.Audiences) == 0 {
		cfg.Audiences = []string{cfg.Issuer.Name()}
	}
	return &TokenREST{cfg: cfg}, nil
}

// New returns an empty TokenRequest.
func (r *TokenREST) New() runtime.Object { return &authenticationv1.TokenRequest{} }

// Destroy has nothing to release.
func (r *TokenREST) Destroy() {}

// GroupVersionKind reports authentication.k8s.io/v1 TokenRequest whatever
// group the subresource is served in, so discovery shows the right kind.
func (r *TokenREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return tokenRequestKind
}

// Create issues a token for the service account name in the request's
// namespace.
func (r *TokenREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*authenticationv1.TokenRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenRequest: %T", obj))
	}
	namespace := genericapirequest.NamespaceValue(ctx)
	if namespace == "" {
		return nil, apierrors.NewBadRequest("namespace is required")
	}
	if errs := validateTokenRequestTarget(req, namespace, name); len(errs) > 0 {
		return nil, apierrors.NewInvalid(tokenRequestKind.GroupKind(), name, errs)
	}

	sa, err := r.cfg.ServiceAccounts.GetServiceAccount(ctx, namespace, name)
	if err != nil {
		return nil, asStatusError(err, "serviceaccounts", name)
	}

	req = req.DeepCopy()
	req.Name, req.Namespace = sa.Name, sa.Namespace
	req.Status = authenticationv1.TokenRequestStatus{}
	if len(req.Spec.Audiences) == 0 {
		req.Spec.Audiences = append([]string(nil), r.cfg.Audiences...)
	}
	if req.Spec.ExpirationSeconds == nil {
		seconds := DefaultTokenExpirationSeconds
		req.Spec.ExpirationSeconds = &seconds
	}
	if errs := validateTokenRequestSpec(&req.Spec); len(errs) > 0 {
		return nil, apierrors.NewInvalid(tokenRequestKind.GroupKind(), "", errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, req.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	bound, err := r.resolveBoundObject(ctx, namespace, name, req.Spec.BoundObjectRef)
	if err != nil {
		return nil, err
	}
	if max := int64(r.cfg.MaxExpiration / time.Second); max > 0 && *req.Spec.ExpirationSeconds > max {
		warning.AddWarning(ctx, "", fmt.Sprintf("requested expiration of %d seconds shortened to %d seconds", *req.Spec.ExpirationSeconds, max))
		req.Spec.ExpirationSeconds = &max
	}

	issued, err := r.cfg.Issuer.IssueToken(TokenOptions{
		ServiceAccount: sa,
		Audiences:      req.Spec.Audiences,
		Lifetime:       time.Duration(*req.Spec.ExpirationSeconds) * time.Second,
		BoundObject:    bound,
	})
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	audit.AddAuditAnnotation(ctx, apiserverserviceaccount.IssuedCredentialIDAuditAnnotationKey, issued.CredentialID())
	req.CreationTimestamp = metav1.NewTime(issued.IssuedAt)
	req.Status = authenticationv1.TokenRequestStatus{
		Token:               issued.Token,
		ExpirationTimestamp: metav1.NewTime(issued.ExpiresAt),
	}
	return req, nil
}

// resolveBoundObject looks up spec.boundObjectRef and checks its UID.
func (r *TokenREST) resolveBoundObject(ctx context.Context, namespace, saName string, ref *authenticationv1.BoundObjectReference) (*BoundObject, error) {
	if ref == nil {
		return nil, nil
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || gv != (schema.GroupVersion{Version: "v1"}) {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for object of apiVersion %q", ref.APIVersion))
	}
	var uid types.UID
	switch {
	case ref.Kind == "Secret" && r.cfg.Secrets != nil:
		secret, err := r.cfg.Secrets.GetSecret(ctx, namespace, ref.Name)
		if err != nil {
			return nil, asStatusError(err, "secrets", ref.Name)
		}
		uid = secret.UID
	case ref.Kind == "Pod" && r.cfg.Pods != nil:
		pod, err := r.cfg.Pods.GetPod(ctx, namespace, ref.Name)
		if err != nil {
			return nil, asStatusError(err, "pods", ref.Name)
		}
		if pod.Spec.ServiceAccountName != saName {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", saName))
		}
		uid = pod.UID
	default:
		return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for object of kind %q", ref.Kind))
	}
	if ref.UID != "" && ref.UID != uid {
		return nil, apierrors.NewConflict(schema.GroupResource{Resource: ref.Kind}, ref.Name,
			fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	return &BoundObject{Kind: ref.Kind, Name: ref.Name, UID: uid}, nil
}

// validateTokenRequestTarget checks that metadata, when set, names the
// service account of the URL, as upstream requires.
func validateTokenRequestTarget(req *authenticationv1.TokenRequest, namespace, name string) field.ErrorList {
	var errs field.ErrorList
	if req.Name != "" && req.Name != name {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), req.Name, "must match the service account name if specified"))
	}
	if req.Namespace != "" && req.Namespace != namespace {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "namespace"), req.Namespace, "must match the service account namespace if specified"))
	}
	return errs
}

// validateTokenRequestSpec applies upstream's bounds on a defaulted spec.
func validateTokenRequestSpec(spec *authenticationv1.TokenRequestSpec) field.ErrorList {
	var errs field.ErrorList
	specPath := field.NewPath("spec")
	switch seconds := *spec.ExpirationSeconds; {
	case seconds < minTokenExpirationSeconds:
		errs = append(errs, field.Invalid(specPath.Child("expirationSeconds"), seconds, "may not specify a duration less than 10 minutes"))
	case seconds > maxTokenExpirationSeconds:
		errs = append(errs, field.Invalid(specPath.Child("expirationSeconds"), seconds, "may not specify a duration larger than 2^32 seconds"))
	}
	for i, aud := range spec.Audiences {
		if aud == "" {
			errs = append(errs, field.Invalid(specPath.Child("audiences").Index(i), aud, "may not be empty"))
		}
	}
	if len(spec.Attestations) > 0 {
		errs = append(errs, field.Forbidden(specPath.Child("attestations"), "attestations are not supported by this server"))
	}
	return errs
}

// asStatusError keeps API status errors (NotFound becomes a 404) and turns
// anything else into a 500 naming the lookup.
func asStatusError(err error, resource, name string) error {
	if _, ok := err.(apierrors.APIStatus); ok {
		return err
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.(error)
	}
	return apierrors.NewInternalError(fmt.Errorf("look up %s %q: %w", resource, name, err))
}
