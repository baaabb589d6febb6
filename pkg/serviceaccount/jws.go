package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// jwsAlgorithm is one JWS "alg" this package signs and verifies with. Only
// algorithms tied to a key type are listed, so a token can never pick a
// weaker check than its key allows ("none", HMAC with a public key, ...).
type jwsAlgorithm struct {
	name string
	hash crypto.Hash
	// ecSize is the byte length of r and s for ECDSA; 0 for RSA.
	ecSize int
}

var (
	algRS256 = jwsAlgorithm{name: "RS256", hash: crypto.SHA256}
	algES256 = jwsAlgorithm{name: "ES256", hash: crypto.SHA256, ecSize: 32}
	algES384 = jwsAlgorithm{name: "ES384", hash: crypto.SHA384, ecSize: 48}
	algES512 = jwsAlgorithm{name: "ES512", hash: crypto.SHA512, ecSize: 66}
)

// algorithmForKey picks the algorithm kube-apiserver uses for a key: RS256
// for RSA, and the ES variant matching the curve for ECDSA.
func algorithmForKey(pub crypto.PublicKey) (jwsAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return algRS256, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return algES256, nil
		case elliptic.P384():
			return algES384, nil
		case elliptic.P521():
			return algES512, nil
		}
		return jwsAlgorithm{}, fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	}
	return jwsAlgorithm{}, fmt.Errorf("unsupported key type %T", pub)
}

type jwsHeader struct {
	Algorithm string   `json:"alg"`
	KeyID     string   `json:"kid,omitempty"`
	Critical  []string `json:"crit,omitempty"`
}

// signCompact returns the JWS compact serialization of payload.
func signCompact(signer crypto.Signer, alg jwsAlgorithm, kid string, payload []byte) (string, error) {
	header, err := json.Marshal(jwsHeader{Algorithm: alg.name, KeyID: kid})
	if err != nil {
		return "", fmt.Errorf("marshal JWS header: %w", err)
	}
	signingInput := b64(header) + "." + b64(payload)
	h := alg.hash.New()
	h.Write([]byte(signingInput))
	sig, err := signer.Sign(rand.Reader, h.Sum(nil), alg.hash)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	if alg.ecSize > 0 {
		// crypto.Signer gives ASN.1 for ECDSA; JWS wants fixed-size r||s.
		if sig, err = asn1ToRawECDSA(sig, alg.ecSize); err != nil {
			return "", err
		}
	}
	return signingInput + "." + b64(sig), nil
}

// splitCompact splits a compact JWS and decodes its header and payload
// without checking the signature.
func splitCompact(token string) (header jwsHeader, payload []byte, signingInput string, sig []byte, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return header, nil, "", nil, errors.New("token is not a compact JWS")
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return header, nil, "", nil, fmt.Errorf("decode JWS header: %w", err)
	}
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		return header, nil, "", nil, fmt.Errorf("parse JWS header: %w", err)
	}
	if payload, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
		return header, nil, "", nil, fmt.Errorf("decode JWS payload: %w", err)
	}
	if sig, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return header, nil, "", nil, fmt.Errorf("decode JWS signature: %w", err)
	}
	return header, payload, parts[0] + "." + parts[1], sig, nil
}

// verifyCompact returns the payload of token if one of keys signed it.
func verifyCompact(token string, keys []crypto.PublicKey) ([]byte, error) {
	header, payload, signingInput, sig, err := splitCompact(token)
	if err != nil {
		return nil, err
	}
	if len(header.Critical) > 0 {
		// RFC 7515 §4.1.11: unknown critical extensions must be rejected.
		return nil, fmt.Errorf("unsupported critical JWS header parameters %q", header.Critical)
	}
	tried := false
	for _, key := range keys {
		alg, err := algorithmForKey(key)
		if err != nil || alg.name != header.Algorithm {
			continue
		}
		tried = true
		h := alg.hash.New()
		h.Write([]byte(signingInput))
		if verifySignature(key, alg, h.Sum(nil), sig) {
			return payload, nil
		}
	}
	if !tried {
		return nil, fmt.Errorf("no verification key for JWS algorithm %q", header.Algorithm)
	}
	return nil, errors.New("invalid token signature")
}

func verifySignature(key crypto.PublicKey, alg jwsAlgorithm, digest, sig []byte) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, alg.hash, digest, sig) == nil
	case *ecdsa.PublicKey:
		if len(sig) != 2*alg.ecSize {
			return false
		}
		r := new(big.Int).SetBytes(sig[:alg.ecSize])
		s := new(big.Int).SetBytes(sig[alg.ecSize:])
		return ecdsa.Verify(k, digest, r, s)
	}
	return false
}

func asn1ToRawECDSA(der []byte, size int) ([]byte, error) {
	var parsed struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &parsed); err != nil {
		return nil, fmt.Errorf("parse ECDSA signature: %w", err)
	}
	raw := make([]byte, 2*size)
	parsed.R.FillBytes(raw[:size])
	parsed.S.FillBytes(raw[size:])
	return raw, nil
}

func b64(data []byte) string { return base64.RawURLEncoding.EncodeToString(data) }
