package controlplane

import (
	"crypto"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/aggkit/aggkit/pkg/serviceaccount"
)

// serviceAccountTokens builds the service-account token authenticator and
// the serviceaccounts/token subresource over the stored resources, reading
// through storage rather than a cache so a just-created account works at
// once, as in kube-apiserver.
func serviceAccountTokens(o *Options, stored apiStorage) (authenticator.Token, rest.Storage, error) {
	core := stored[corev1.SchemeGroupVersion]
	getters := serviceaccount.StorageGetter{
		ServiceAccounts: core["serviceaccounts"].(rest.Getter),
		Secrets:         core["secrets"].(rest.Getter),
	}
	signer, err := serviceaccount.LoadSigningKeyFile(o.ServiceAccountSigningKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("--service-account-signing-key-file: %w", err)
	}
	var keys []crypto.PublicKey
	for _, file := range o.ServiceAccountKeyFiles {
		loaded, err := serviceaccount.LoadPublicKeysFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("--service-account-key-file: %w", err)
		}
		keys = append(keys, loaded...)
	}
	issuer, err := serviceaccount.NewIssuer(o.ServiceAccountIssuer, signer)
	if err != nil {
		return nil, nil, err
	}
	authn, err := serviceaccount.NewAuthenticator(serviceaccount.AuthenticatorConfig{
		Issuers: []string{issuer.Name()}, Keys: keys, ServiceAccounts: getters, Secrets: getters,
	})
	if err != nil {
		return nil, nil, err
	}
	tokenREST, err := serviceaccount.NewTokenREST(serviceaccount.TokenRESTConfig{
		Issuer: issuer, MaxExpiration: o.ServiceAccountMaxTokenExpiration, ServiceAccounts: getters, Secrets: getters,
	})
	if err != nil {
		return nil, nil, err
	}
	return authn, tokenREST, nil
}
