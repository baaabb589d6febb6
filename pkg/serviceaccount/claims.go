package serviceaccount

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// tokenClaims is the JWT payload of a bound service-account token, laid out
// as kube-apiserver writes it (pkg/serviceaccount/claims.go upstream).
type tokenClaims struct {
	Issuer     string            `json:"iss,omitempty"`
	Subject    string            `json:"sub,omitempty"`
	Audience   audienceClaim     `json:"aud,omitempty"`
	Expiry     *numericDate      `json:"exp,omitempty"`
	NotBefore  *numericDate      `json:"nbf,omitempty"`
	IssuedAt   *numericDate      `json:"iat,omitempty"`
	ID         string            `json:"jti,omitempty"`
	Kubernetes *kubernetesClaims `json:"kubernetes.io,omitempty"`
}

// kubernetesClaims is the private "kubernetes.io" claim.
type kubernetesClaims struct {
	Namespace      string     `json:"namespace,omitempty"`
	ServiceAccount objectRef  `json:"serviceaccount,omitempty"`
	Pod            *objectRef `json:"pod,omitempty"`
	Secret         *objectRef `json:"secret,omitempty"`
}

type objectRef struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// audienceClaim is "aud": RFC 7519 allows a string or an array. Tokens are
// written with an array, as kube-apiserver does; both forms are read.
type audienceClaim []string

func (a *audienceClaim) UnmarshalJSON(data []byte) error {
	var single string
	if err := json.Unmarshal(data, &single); err == nil {
		*a = audienceClaim{single}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("aud must be a string or an array of strings: %w", err)
	}
	*a = many
	return nil
}

// numericDate is a JWT NumericDate: seconds since the epoch. Readers accept
// fractional values as RFC 7519 allows.
type numericDate int64

func newNumericDate(t time.Time) *numericDate {
	d := numericDate(t.Unix())
	return &d
}

func (d numericDate) Time() time.Time { return time.Unix(int64(d), 0) }

func (d numericDate) MarshalJSON() ([]byte, error) { return json.Marshal(int64(d)) }

func (d *numericDate) UnmarshalJSON(data []byte) error {
	var f float64
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("NumericDate must be a number: %w", err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
		return fmt.Errorf("NumericDate %v out of range", f)
	}
	*d = numericDate(f)
	return nil
}
