package serviceaccount

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/utils/clock"
)

// DefaultIssuer is the issuer (and default audience) kube-apiserver
// deployments conventionally use for in-cluster tokens.
const DefaultIssuer = "https://kubernetes.default.svc"

// Issuer signs bound service-account tokens.
type Issuer struct {
	issuer string
	signer crypto.Signer
	alg    jwsAlgorithm
	kid    string
	clock  clock.PassiveClock
}

// NewIssuer returns an Issuer that writes iss=issuer (DefaultIssuer when
// empty) and signs with key, using RS256 for RSA keys and ES256/384/512 for
// ECDSA keys on P-256/384/521.
func NewIssuer(issuer string, key crypto.Signer) (*Issuer, error) {
	if key == nil {
		return nil, errors.New("service-account token issuer needs a signing key")
	}
	if issuer == "" {
		issuer = DefaultIssuer
	}
	alg, err := algorithmForKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("service-account signing key: %w", err)
	}
	kid, err := keyID(key.Public())
	if err != nil {
		return nil, fmt.Errorf("service-account signing key: %w", err)
	}
	return &Issuer{issuer: issuer, signer: key, alg: alg, kid: kid, clock: clock.RealClock{}}, nil
}

// WithClock returns a copy of the issuer that reads the time from c; tests
// use it to mint tokens in the past or future.
func (i *Issuer) WithClock(c clock.PassiveClock) *Issuer {
	cp := *i
	cp.clock = c
	return &cp
}

// Name is the iss claim this issuer writes.
func (i *Issuer) Name() string { return i.issuer }

// PublicKey is the key that verifies this issuer's tokens.
func (i *Issuer) PublicKey() crypto.PublicKey { return i.signer.Public() }

// BoundObject names the object a token is bound to: the token stops being
// valid when that object is gone or replaced (different UID).
type BoundObject struct {
	// Kind is "Secret" or "Pod".
	Kind string
	Name string
	UID  types.UID
}

// TokenOptions says what to put in a token.
type TokenOptions struct {
	// ServiceAccount is the subject; its namespace, name and UID are required.
	ServiceAccount *corev1.ServiceAccount
	// Audiences are written to aud; at least one is required.
	Audiences []string
	// Lifetime is the time from issue to expiry; it must be positive.
	Lifetime time.Duration
	// BoundObject, when set, binds the token to a Secret or Pod in the
	// service account's namespace.
	BoundObject *BoundObject
}

// IssuedToken is a signed token with the facts callers report about it.
type IssuedToken struct {
	// Token is the compact JWS.
	Token string
	// ID is the jti claim.
	ID string
	// IssuedAt and ExpiresAt are the iat and exp claims.
	IssuedAt, ExpiresAt time.Time
}

// CredentialID is the value kube-apiserver records for a token in audit
// annotations and in the user's credential-id extra: "JTI=<jti>".
func (t *IssuedToken) CredentialID() string { return credentialID(t.ID) }

func credentialID(jti string) string { return "JTI=" + jti }

// IssueToken signs a token described by opts.
func (i *Issuer) IssueToken(opts TokenOptions) (*IssuedToken, error) {
	sa := opts.ServiceAccount
	switch {
	case sa == nil || sa.Namespace == "" || sa.Name == "" || sa.UID == "":
		return nil, errors.New("issue token: service account namespace, name and uid are required")
	case len(opts.Audiences) == 0:
		return nil, errors.New("issue token: at least one audience is required")
	case opts.Lifetime <= 0:
		return nil, fmt.Errorf("issue token: lifetime %s is not positive", opts.Lifetime)
	}
	kube := &kubernetesClaims{
		Namespace:      sa.Namespace,
		ServiceAccount: objectRef{Name: sa.Name, UID: string(sa.UID)},
	}
	if b := opts.BoundObject; b != nil {
		ref := &objectRef{Name: b.Name, UID: string(b.UID)}
		switch b.Kind {
		case "Secret":
			kube.Secret = ref
		case "Pod":
			kube.Pod = ref
		default:
			return nil, fmt.Errorf("issue token: cannot bind a token to kind %q", b.Kind)
		}
	}

	// Whole seconds, so the times returned equal what a reader of the
	// token sees.
	now := i.clock.Now().Truncate(time.Second)
	exp := now.Add(opts.Lifetime)
	jti := string(uuid.NewUUID())
	payload, err := json.Marshal(tokenClaims{
		Issuer:     i.issuer,
		Subject:    apiserverserviceaccount.MakeUsername(sa.Namespace, sa.Name),
		Audience:   opts.Audiences,
		Expiry:     newNumericDate(exp),
		NotBefore:  newNumericDate(now),
		IssuedAt:   newNumericDate(now),
		ID:         jti,
		Kubernetes: kube,
	})
	if err != nil {
		return nil, fmt.Errorf("issue token: marshal claims: %w", err)
	}
	token, err := signCompact(i.signer, i.alg, i.kid, payload)
	if err != nil {
		return nil, fmt.Errorf("issue token for %s/%s: %w", sa.Namespace, sa.Name, err)
	}
	return &IssuedToken{Token: token, ID: jti, IssuedAt: now, ExpiresAt: exp}, nil
}
