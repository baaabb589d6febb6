package serviceaccount

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	testingclock "k8s.io/utils/clock/testing"
)

func TestAuthenticatorRoundTrip(t *testing.T) {
	rsaIssuer := mustIssuer(t, "", testRSAKey(t))
	ecIssuer := mustIssuer(t, "", testECKey(t, elliptic.P256()))
	ec384Issuer := mustIssuer(t, "", testECKey(t, elliptic.P384()))
	strangerIssuer := mustIssuer(t, "", testECKey(t, elliptic.P256())) // right name, unknown key
	otherNameIssuer := mustIssuer(t, "https://other.example", testRSAKey(t))

	now := time.Now()
	store := newObjectStore()
	store.addServiceAccount("team", "builder", "sa-uid-1")
	store.addServiceAccount("team", "doomed", "sa-uid-2")
	store.addServiceAccount("team", "recreated", "sa-uid-3")
	store.addSecret("team", "bound-secret", "secret-uid-1")
	store.addPod("team", "bound-pod", "pod-uid-1", "builder")

	auth, err := NewAuthenticator(AuthenticatorConfig{
		Keys:            []crypto.PublicKey{rsaIssuer.PublicKey(), ecIssuer.PublicKey(), ec384Issuer.PublicKey()},
		ServiceAccounts: store,
		Secrets:         store,
		Pods:            store,
		Clock:           testingclock.NewFakePassiveClock(now),
	})
	if err != nil {
		t.Fatal(err)
	}

	builder, _ := store.GetServiceAccount(context.Background(), "team", "builder")
	doomed, _ := store.GetServiceAccount(context.Background(), "team", "doomed")
	recreated, _ := store.GetServiceAccount(context.Background(), "team", "recreated")

	issue := func(iss *Issuer, at time.Time, opts TokenOptions) string {
		t.Helper()
		if opts.ServiceAccount == nil {
			opts.ServiceAccount = builder
		}
		if opts.Audiences == nil {
			opts.Audiences = []string{DefaultIssuer}
		}
		if opts.Lifetime == 0 {
			opts.Lifetime = time.Hour
		}
		tok, err := iss.WithClock(testingclock.NewFakePassiveClock(at)).IssueToken(opts)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	valid := issue(rsaIssuer, now, TokenOptions{})

	doomedToken := issue(rsaIssuer, now, TokenOptions{ServiceAccount: doomed})
	store.delete("ServiceAccount", "team", "doomed")
	recreatedToken := issue(rsaIssuer, now, TokenOptions{ServiceAccount: recreated})
	store.addServiceAccount("team", "recreated", "sa-uid-3-new")

	tests := []struct {
		name string
		// token is the bearer token under test.
		token string
		// ctxAudiences, when non-nil, are what the request expects.
		ctxAudiences authenticator.Audiences
		// notOurs: the authenticator must step aside (nil, false, nil).
		notOurs bool
		wantErr string
		// wantAudiences and wantExtra are checked on success.
		wantAudiences authenticator.Audiences
		wantExtra     map[string][]string
	}{
		{name: "rsa token", token: valid, wantAudiences: authenticator.Audiences{DefaultIssuer}},
		{name: "es256 token", token: issue(ecIssuer, now, TokenOptions{}), wantAudiences: authenticator.Audiences{DefaultIssuer}},
		{name: "es384 token", token: issue(ec384Issuer, now, TokenOptions{}), wantAudiences: authenticator.Audiences{DefaultIssuer}},
		{name: "expired inside the one minute leeway", token: issue(rsaIssuer, now.Add(-time.Hour-30*time.Second), TokenOptions{}), wantAudiences: authenticator.Audiences{DefaultIssuer}},
		{name: "expired", token: issue(rsaIssuer, now.Add(-2*time.Hour), TokenOptions{}), wantErr: "has expired"},
		{name: "issued in the future", token: issue(rsaIssuer, now.Add(10*time.Minute), TokenOptions{}), wantErr: "not valid yet"},
		{name: "signed by an unknown key", token: issue(strangerIssuer, now, TokenOptions{}), wantErr: "invalid token signature"},
		{name: "payload tampered", token: tamperPayload(t, valid, func(c map[string]any) { c["sub"] = "system:serviceaccount:team:admin" }), wantErr: "invalid token signature"},
		{name: "signature truncated", token: valid[:len(valid)-4], wantErr: "invalid token signature"},
		{name: "alg none", token: withAlgNone(t, valid), wantErr: `no verification key for JWS algorithm "none"`},
		{name: "other issuer is not ours", token: issue(otherNameIssuer, now, TokenOptions{}), notOurs: true},
		{name: "not a JWT is not ours", token: "abcdef.0123456789abcdef", notOurs: true},
		{name: "wrong audience for default API audiences", token: issue(rsaIssuer, now, TokenOptions{Audiences: []string{"vault"}}), wantErr: `token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc"]`},
		{
			name: "request audiences intersect token audiences", token: issue(rsaIssuer, now, TokenOptions{Audiences: []string{"vault", "api", "etcd"}}),
			ctxAudiences: authenticator.Audiences{"etcd", "api", "other"}, wantAudiences: authenticator.Audiences{"etcd", "api"}, // request order, as upstream
		},
		{name: "request audiences disjoint", token: valid, ctxAudiences: authenticator.Audiences{"vault"}, wantErr: "is invalid for the target audiences"},
		{name: "service account deleted", token: doomedToken, wantErr: "service account team/doomed not found: service account token has been invalidated"},
		{name: "service account recreated", token: recreatedToken, wantErr: "service account UID (sa-uid-3-new) does not match claim (sa-uid-3)"},
		{
			name: "bound to an existing secret", token: issue(rsaIssuer, now, TokenOptions{BoundObject: &BoundObject{Kind: "Secret", Name: "bound-secret", UID: "secret-uid-1"}}),
			wantAudiences: authenticator.Audiences{DefaultIssuer},
		},
		{name: "bound secret replaced", token: issue(rsaIssuer, now, TokenOptions{BoundObject: &BoundObject{Kind: "Secret", Name: "bound-secret", UID: "old-uid"}}), wantErr: "secret UID (secret-uid-1) does not match"},
		{name: "bound secret missing", token: issue(rsaIssuer, now, TokenOptions{BoundObject: &BoundObject{Kind: "Secret", Name: "gone", UID: "x"}}), wantErr: "bound secret team/gone not found"},
		{
			name: "bound to a pod", token: issue(rsaIssuer, now, TokenOptions{BoundObject: &BoundObject{Kind: "Pod", Name: "bound-pod", UID: "pod-uid-1"}}),
			wantAudiences: authenticator.Audiences{DefaultIssuer},
			wantExtra:     map[string][]string{"authentication.kubernetes.io/pod-name": {"bound-pod"}, "authentication.kubernetes.io/pod-uid": {"pod-uid-1"}},
		},
		{name: "bound pod replaced", token: issue(rsaIssuer, now, TokenOptions{BoundObject: &BoundObject{Kind: "Pod", Name: "bound-pod", UID: "old"}}), wantErr: "pod UID (pod-uid-1) does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.ctxAudiences != nil {
				ctx = authenticator.WithAudiences(ctx, tt.ctxAudiences)
			}
			resp, ok, err := auth.AuthenticateToken(ctx, tt.token)
			switch {
			case tt.notOurs:
				if resp != nil || ok || err != nil {
					t.Fatalf("want (nil, false, nil) for a token of another issuer, got (%v, %v, %v)", resp, ok, err)
				}
				return
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || ok || resp != nil {
					t.Fatalf("want error containing %q, got (%v, %v, %v)", tt.wantErr, resp, ok, err)
				}
				return
			}
			if err != nil || !ok {
				t.Fatalf("want success, got ok=%v err=%v", ok, err)
			}
			u := resp.User
			if u.GetName() != "system:serviceaccount:team:builder" || u.GetUID() != "sa-uid-1" {
				t.Errorf("user = %q uid %q", u.GetName(), u.GetUID())
			}
			if want := []string{"system:serviceaccounts", "system:serviceaccounts:team"}; !reflect.DeepEqual(u.GetGroups(), want) {
				t.Errorf("groups = %q, want %q", u.GetGroups(), want)
			}
			if !reflect.DeepEqual(resp.Audiences, tt.wantAudiences) {
				t.Errorf("audiences = %q, want %q", resp.Audiences, tt.wantAudiences)
			}
			wantExtra := map[string][]string{user.CredentialIDKey: {"JTI=" + claimsOf(t, tt.token)["jti"].(string)}}
			for k, v := range tt.wantExtra {
				wantExtra[k] = v
			}
			if !reflect.DeepEqual(u.GetExtra(), wantExtra) {
				t.Errorf("extra = %v, want %v", u.GetExtra(), wantExtra)
			}
		})
	}
}

func TestIssuedClaimsMatchKubernetesLayout(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss := mustIssuer(t, "https://issuer.example", testECKey(t, elliptic.P256())).WithClock(testingclock.NewFakePassiveClock(now))
	store := newObjectStore()
	sa := store.addServiceAccount("ns1", "robot", "uid-robot")
	tok, err := iss.IssueToken(TokenOptions{
		ServiceAccount: sa, Audiences: []string{"a"}, Lifetime: 10 * time.Minute,
		BoundObject: &BoundObject{Kind: "Pod", Name: "p", UID: "uid-p"},
	})
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]any{}
	rawHeader, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.Token, ".")[0])
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		t.Fatal(err)
	}
	wantKid, _ := keyID(iss.PublicKey())
	if header["alg"] != "ES256" || header["kid"] != wantKid {
		t.Errorf("header = %v, want alg ES256 and kid %s", header, wantKid)
	}
	want := map[string]any{
		"iss": "https://issuer.example",
		"sub": "system:serviceaccount:ns1:robot",
		"aud": []any{"a"},
		"iat": float64(now.Unix()),
		"nbf": float64(now.Unix()),
		"exp": float64(now.Add(10 * time.Minute).Unix()),
		"jti": tok.ID,
		"kubernetes.io": map[string]any{
			"namespace":      "ns1",
			"serviceaccount": map[string]any{"name": "robot", "uid": "uid-robot"},
			"pod":            map[string]any{"name": "p", "uid": "uid-p"},
		},
	}
	if got := claimsOf(t, tok.Token); !reflect.DeepEqual(got, want) {
		t.Errorf("claims =\n%v\nwant\n%v", got, want)
	}
	if !tok.ExpiresAt.Equal(now.Add(10*time.Minute)) || tok.CredentialID() != "JTI="+tok.ID {
		t.Errorf("issued token facts = %+v", tok)
	}
}

func TestIssueTokenRejectsIncompleteOptions(t *testing.T) {
	iss := mustIssuer(t, "", testECKey(t, elliptic.P256()))
	store := newObjectStore()
	sa := store.addServiceAccount("ns", "sa", "uid")
	noUID := store.addServiceAccount("ns", "nouid", "")
	tests := []struct {
		name string
		opts TokenOptions
	}{
		{"no service account", TokenOptions{Audiences: []string{"a"}, Lifetime: time.Hour}},
		{"service account without uid", TokenOptions{ServiceAccount: noUID, Audiences: []string{"a"}, Lifetime: time.Hour}},
		{"no audience", TokenOptions{ServiceAccount: sa, Lifetime: time.Hour}},
		{"no lifetime", TokenOptions{ServiceAccount: sa, Audiences: []string{"a"}}},
		{"bound to a node", TokenOptions{ServiceAccount: sa, Audiences: []string{"a"}, Lifetime: time.Hour, BoundObject: &BoundObject{Kind: "Node", Name: "n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tok, err := iss.IssueToken(tt.opts); err == nil {
				t.Fatalf("want error, got token %q", tok.Token)
			}
		})
	}
}

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	_, payload, _, _, err := splitCompact(token)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// tamperPayload rewrites the claims but keeps the original signature.
func tamperPayload(t *testing.T, token string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(token, ".")
	claims := claimsOf(t, token)
	edit(claims)
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

// withAlgNone swaps the header for {"alg":"none"} and drops the signature.
func withAlgNone(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
}
