package serviceaccount

import (
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadKeyFiles(t *testing.T) {
	rsaKey := testRSAKey(t)
	ecKey := testECKey(t, elliptic.P256())
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)

	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	must := func(der []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	ecSEC1 := must(x509.MarshalECPrivateKey(ecKey))
	rsaPKCS8 := must(x509.MarshalPKCS8PrivateKey(rsaKey))
	ecPKIX := must(x509.MarshalPKIXPublicKey(&ecKey.PublicKey))
	edPKCS8 := must(x509.MarshalPKCS8PrivateKey(edKey))
	template := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sa"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	certDER := must(x509.CreateCertificate(rand.Reader, template, template, &ecKey.PublicKey, ecKey))

	tests := []struct {
		name        string
		pem         []byte
		wantSigner  crypto.PublicKey // public half of the signing key, nil if none
		wantPublic  []crypto.PublicKey
		wantErrText string // for the public-key load when no key is usable
	}{
		{name: "PKCS#1 RSA private key", pem: pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), wantSigner: &rsaKey.PublicKey, wantPublic: []crypto.PublicKey{&rsaKey.PublicKey}},
		{name: "PKCS#8 RSA private key", pem: pemOf("PRIVATE KEY", rsaPKCS8), wantSigner: &rsaKey.PublicKey, wantPublic: []crypto.PublicKey{&rsaKey.PublicKey}},
		{name: "SEC 1 EC private key", pem: pemOf("EC PRIVATE KEY", ecSEC1), wantSigner: &ecKey.PublicKey, wantPublic: []crypto.PublicKey{&ecKey.PublicKey}},
		{
			name: "public keys and a certificate mixed", wantPublic: []crypto.PublicKey{&ecKey.PublicKey, &rsaKey.PublicKey, &ecKey.PublicKey},
			pem: append(append(pemOf("PUBLIC KEY", ecPKIX), pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey))...), pemOf("CERTIFICATE", certDER)...),
		},
		{name: "ed25519 is refused", pem: pemOf("PRIVATE KEY", edPKCS8), wantErrText: "unsupported PKCS#8 private key type"},
		{name: "no PEM at all", pem: []byte("not a key"), wantErrText: "no RSA or ECDSA public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.pem")
			if err := os.WriteFile(path, tt.pem, 0o600); err != nil {
				t.Fatal(err)
			}
			signer, err := LoadSigningKeyFile(path)
			switch {
			case tt.wantSigner == nil && err == nil:
				t.Errorf("LoadSigningKeyFile succeeded on a file without a private key")
			case tt.wantSigner != nil && err != nil:
				t.Errorf("LoadSigningKeyFile: %v", err)
			case tt.wantSigner != nil && !tt.wantSigner.(interface{ Equal(crypto.PublicKey) bool }).Equal(signer.Public()):
				t.Errorf("signing key has the wrong public half")
			}

			keys, err := LoadPublicKeysFile(path)
			if tt.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrText) {
					t.Fatalf("want error containing %q, got %v", tt.wantErrText, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != len(tt.wantPublic) {
				t.Fatalf("got %d keys, want %d", len(keys), len(tt.wantPublic))
			}
			for i, want := range tt.wantPublic {
				if !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(keys[i]) {
					t.Errorf("key %d differs", i)
				}
			}
		})
	}
}

// The keys loaded from files must sign tokens the loaded public keys accept.
func TestLoadedKeysRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, key := range []crypto.Signer{testRSAKey(t), testECKey(t, elliptic.P521())} {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "k.pem")
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		signer, err := LoadSigningKeyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pubs, err := LoadPublicKeysFile(path)
		if err != nil {
			t.Fatal(err)
		}
		iss := mustIssuer(t, "", signer)
		store := newObjectStore()
		tok, err := iss.IssueToken(TokenOptions{ServiceAccount: store.addServiceAccount("ns", "sa", "u"), Audiences: []string{"x"}, Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifyCompact(tok.Token, pubs); err != nil {
			t.Errorf("%T: %v", key, err)
		}
	}
}
