// Package serviceaccount issues and verifies Kubernetes service-account tokens
// for the built-in control plane of `aggkit serve`.
//
// It has three parts that mirror kube-apiserver:
//
//   - Issuer signs bound service-account JWTs (RS256 or ES256/384/512, chosen
//     by the signing key) with the claims kube-apiserver puts in them, the
//     `kubernetes.io` private claim included.
//   - Authenticator is an authenticator.Token that accepts those tokens: it
//     checks signature, issuer, audiences, time window and that the
//     service account (and any bound Secret or Pod) still exists with the
//     same UID.
//   - TokenREST serves the serviceaccounts/token subresource, the endpoint
//     behind `kubectl create token`.
//
// Keys are read with LoadSigningKeyFile (the counterpart of
// --service-account-signing-key-file) and LoadPublicKeysFile
// (--service-account-key-file). Object lookups go through the small getter
// interfaces in getters.go, so the package works with storage, listers or
// plain functions.
package serviceaccount
