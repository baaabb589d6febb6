package serviceaccount

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

const (
	// clockSkewLeeway is how far exp, nbf and iat may be off, the same
	// minute kube-apiserver allows through go-jose's default leeway.
	clockSkewLeeway = time.Minute
	// deletionGracePeriod keeps tokens of an object that just started
	// deleting valid for a moment, so in-flight requests of a terminating
	// pod still finish (upstream allows the same 10 seconds).
	deletionGracePeriod = 10 * time.Second
)

// AuthenticatorConfig configures NewAuthenticator.
type AuthenticatorConfig struct {
	// Issuers are the accepted iss values; tokens from other issuers are
	// left to other authenticators. Defaults to []string{DefaultIssuer}.
	Issuers []string
	// Keys verify token signatures (see LoadPublicKeysFile). Required.
	Keys []crypto.PublicKey
	// APIAudiences are the audiences accepted when the request context
	// carries none (authenticator.WithAudiences). Defaults to Issuers[0],
	// like kube-apiserver's --api-audiences.
	APIAudiences authenticator.Audiences
	// ServiceAccounts confirms the token's service account still exists
	// with the same UID. Required.
	ServiceAccounts ServiceAccountGetter
	// Secrets and Pods confirm bound objects. When nil, tokens bound to
	// that kind are rejected, since the binding cannot be checked.
	Secrets SecretGetter
	Pods    PodGetter
	// Clock defaults to the real clock.
	Clock clock.PassiveClock
}

// Authenticator accepts bound service-account tokens; it implements
// authenticator.Token.
type Authenticator struct {
	issuers      []string
	keys         []crypto.PublicKey
	apiAudiences authenticator.Audiences
	sas          ServiceAccountGetter
	secrets      SecretGetter
	pods         PodGetter
	clock        clock.PassiveClock
}

var _ authenticator.Token = &Authenticator{}

// NewAuthenticator checks cfg and returns an Authenticator.
func NewAuthenticator(cfg AuthenticatorConfig) (*Authenticator, error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("service-account authenticator needs at least one public key")
	}
	for _, k := range cfg.Keys {
		if _, err := algorithmForKey(k); err != nil {
			return nil, fmt.Errorf("service-account verification key: %w", err)
		}
	}
	if cfg.ServiceAccounts == nil {
		return nil, errors.New("service-account authenticator needs a ServiceAccountGetter")
	}
	a := &Authenticator{
		issuers:      cfg.Issuers,
		keys:         cfg.Keys,
		apiAudiences: cfg.APIAudiences,
		sas:          cfg.ServiceAccounts,
		secrets:      cfg.Secrets,
		pods:         cfg.Pods,
		clock:        cfg.Clock,
	}
	if len(a.issuers) == 0 {
		a.issuers = []string{DefaultIssuer}
	}
	if len(a.apiAudiences) == 0 {
		a.apiAudiences = authenticator.Audiences{a.issuers[0]}
	}
	if a.clock == nil {
		a.clock = clock.RealClock{}
	}
	return a, nil
}

// AuthenticateToken implements authenticator.Token. Tokens that are not JWTs
// or name another issuer give (nil, false, nil) so the next authenticator in
// a union can try them; tokens of our issuers that fail a check give an error.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	if !a.isOurIssuer(token) {
		return nil, false, nil
	}
	payload, err := verifyCompact(token, a.keys)
	if err != nil {
		return nil, false, err
	}
	var claims tokenClaims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, false, fmt.Errorf("parse service account token claims: %w", err)
	}
	if err := a.checkTimes(&claims); err != nil {
		return nil, false, err
	}

	// Like upstream: the token must share an audience with what the request
	// expects, and the response reports that intersection.
	wanted, ok := authenticator.AudiencesFrom(ctx)
	if !ok {
		wanted = a.apiAudiences
	}
	auds := authenticator.Audiences(claims.Audience).Intersect(wanted)
	if len(auds) == 0 {
		return nil, false, fmt.Errorf("token audiences %q is invalid for the target audiences %q", []string(claims.Audience), []string(wanted))
	}

	info, err := a.checkObjects(ctx, &claims)
	if err != nil {
		return nil, false, err
	}
	return &authenticator.Response{User: info.UserInfo(), Audiences: auds}, true, nil
}

// isOurIssuer peeks at the unverified payload: cheap, and lets tokens of
// other issuers pass through untouched.
func (a *Authenticator) isOurIssuer(token string) bool {
	_, payload, _, _, err := splitCompact(token)
	if err != nil {
		return false
	}
	var claims struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return false
	}
	return slices.Contains(a.issuers, claims.Issuer)
}

func (a *Authenticator) checkTimes(c *tokenClaims) error {
	now := a.clock.Now()
	if c.Expiry == nil {
		// Every bound token carries exp; one without it is not ours.
		return errors.New("service account token has no expiry")
	}
	if now.After(c.Expiry.Time().Add(clockSkewLeeway)) {
		return errors.New("service account token has expired")
	}
	if c.NotBefore != nil && now.Add(clockSkewLeeway).Before(c.NotBefore.Time()) {
		return errors.New("service account token is not valid yet")
	}
	if c.IssuedAt != nil && now.Add(clockSkewLeeway).Before(c.IssuedAt.Time()) {
		return errors.New("service account token is issued in the future")
	}
	return nil
}

// checkObjects confirms the service account and any bound object still
// exist with the UIDs in the token, and builds the user from them.
func (a *Authenticator) checkObjects(ctx context.Context, c *tokenClaims) (*apiserverserviceaccount.ServiceAccountInfo, error) {
	kube := c.Kubernetes
	if kube == nil || kube.Namespace == "" || kube.ServiceAccount.Name == "" || kube.ServiceAccount.UID == "" {
		return nil, errors.New("service account token lacks the kubernetes.io namespace and serviceaccount claims")
	}
	ns, name := kube.Namespace, kube.ServiceAccount.Name
	if c.Subject != apiserverserviceaccount.MakeUsername(ns, name) {
		return nil, fmt.Errorf("service account token subject %q does not match its kubernetes.io claims", c.Subject)
	}
	invalidIfDeletedBefore := a.clock.Now().Add(-deletionGracePeriod)

	sa, err := a.sas.GetServiceAccount(ctx, ns, name)
	if err != nil {
		return nil, objectLookupError("service account", ns, name, err)
	}
	if string(sa.UID) != kube.ServiceAccount.UID {
		klog.V(4).InfoS("Service account UID no longer matches token", "namespace", ns, "name", name, "uid", sa.UID, "claimUID", kube.ServiceAccount.UID)
		return nil, fmt.Errorf("service account UID (%s) does not match claim (%s)", sa.UID, kube.ServiceAccount.UID)
	}
	if deletedBefore(sa.DeletionTimestamp, invalidIfDeletedBefore) {
		return nil, fmt.Errorf("service account %s/%s has been deleted", ns, name)
	}

	info := &apiserverserviceaccount.ServiceAccountInfo{
		Namespace:    ns,
		Name:         name,
		UID:          string(sa.UID),
		CredentialID: credentialIDOrEmpty(c.ID),
	}
	if ref := kube.Secret; ref != nil {
		if a.secrets == nil {
			return nil, errors.New("service account token is bound to a secret, which this server cannot check")
		}
		secret, err := a.secrets.GetSecret(ctx, ns, ref.Name)
		if err != nil {
			return nil, objectLookupError("bound secret", ns, ref.Name, err)
		}
		if string(secret.UID) != ref.UID {
			return nil, fmt.Errorf("secret UID (%s) does not match service account secret ref claim (%s)", secret.UID, ref.UID)
		}
		if deletedBefore(secret.DeletionTimestamp, invalidIfDeletedBefore) {
			return nil, fmt.Errorf("bound secret %s/%s has been deleted", ns, ref.Name)
		}
	}
	if ref := kube.Pod; ref != nil {
		if a.pods == nil {
			return nil, errors.New("service account token is bound to a pod, which this server cannot check")
		}
		pod, err := a.pods.GetPod(ctx, ns, ref.Name)
		if err != nil {
			return nil, objectLookupError("bound pod", ns, ref.Name, err)
		}
		if string(pod.UID) != ref.UID {
			return nil, fmt.Errorf("pod UID (%s) does not match service account pod ref claim (%s)", pod.UID, ref.UID)
		}
		if deletedBefore(pod.DeletionTimestamp, invalidIfDeletedBefore) {
			return nil, fmt.Errorf("bound pod %s/%s has been deleted", ns, ref.Name)
		}
		info.PodName, info.PodUID = pod.Name, string(pod.UID)
	}
	return info, nil
}

func objectLookupError(what, ns, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s/%s not found: service account token has been invalidated", what, ns, name)
	}
	return fmt.Errorf("look up %s %s/%s: %w", what, ns, name, err)
}

func deletedBefore(ts *metav1.Time, cutoff time.Time) bool {
	return ts != nil && ts.Time.Before(cutoff)
}

func credentialIDOrEmpty(jti string) string {
	if jti == "" {
		return ""
	}
	return credentialID(jti)
}
