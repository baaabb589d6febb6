package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// LoadSigningKeyFile reads the PEM private key used to sign tokens, as
// kube-apiserver's --service-account-signing-key-file. PKCS#1 and PKCS#8 RSA
// keys and SEC 1 and PKCS#8 ECDSA keys are accepted.
func LoadSigningKeyFile(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read service-account signing key: %w", err)
	}
	key, err := ParseSigningKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("service-account signing key %s: %w", path, err)
	}
	return key, nil
}

// ParseSigningKeyPEM returns the first RSA or ECDSA private key in data.
func ParseSigningKeyPEM(data []byte) (crypto.Signer, error) {
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		key, err := parsePrivateKeyBlock(block)
		if err != nil {
			return nil, err
		}
		if key != nil {
			return key, nil
		}
	}
	return nil, errors.New("no RSA or ECDSA private key found in PEM data")
}

// LoadPublicKeysFile reads the PEM keys that verify tokens, as kube-apiserver's
// --service-account-key-file: public keys, certificates and private keys (whose
// public half is used) may be mixed in one file.
func LoadPublicKeysFile(path string) ([]crypto.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read service-account key file: %w", err)
	}
	keys, err := ParsePublicKeysPEM(data)
	if err != nil {
		return nil, fmt.Errorf("service-account key file %s: %w", path, err)
	}
	return keys, nil
}

// ParsePublicKeysPEM returns every RSA or ECDSA public key found in data.
func ParsePublicKeysPEM(data []byte) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		key, err := parsePublicKeyBlock(block)
		if err != nil {
			return nil, err
		}
		if key != nil {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no RSA or ECDSA public key found in PEM data")
	}
	return keys, nil
}

// parsePrivateKeyBlock returns nil, nil for block types that hold no private key.
func parsePrivateKeyBlock(block *pem.Block) (crypto.Signer, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse RSA private key: %w", err)
		}
		return key, nil
	case "EC PRIVATE KEY":
		key, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse EC private key: %w", err)
		}
		return key, nil
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKCS#8 private key: %w", err)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		default:
			return nil, fmt.Errorf("unsupported PKCS#8 private key type %T", key)
		}
	}
	return nil, nil
}

// parsePublicKeyBlock returns nil, nil for block types that hold no key.
func parsePublicKeyBlock(block *pem.Block) (crypto.PublicKey, error) {
	switch block.Type {
	case "PUBLIC KEY":
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		return checkedPublicKey(key)
	case "RSA PUBLIC KEY":
		key, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse RSA public key: %w", err)
		}
		return key, nil
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		return checkedPublicKey(cert.PublicKey)
	}
	signer, err := parsePrivateKeyBlock(block)
	if err != nil || signer == nil {
		return nil, err
	}
	return signer.Public(), nil
}

func checkedPublicKey(key any) (crypto.PublicKey, error) {
	switch key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		return key, nil
	default:
		return nil, fmt.Errorf("unsupported public key type %T", key)
	}
}

// keyID derives the JWS "kid" the way kube-apiserver does: the unpadded
// base64url SHA-256 of the PKIX DER public key. Verifiers that select keys by
// kid (OIDC discovery consumers) then see the same value upstream would give.
func keyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}
