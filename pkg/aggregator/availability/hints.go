package availability

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	certutil "k8s.io/client-go/util/cert"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// failureMessage is the FailedDiscoveryCheck message: what failed, then, when
// the cause is recognisable, what to fix (k/k#83332: the bare upstream
// message leaves people guessing).
func failureMessage(err error, apiService *apiregistrationv1.APIService, serverName string) string {
	msg := err.Error()
	var pe *probeError
	if !errors.As(err, &pe) {
		return msg
	}
	if hint := hintFor(pe, apiService, serverName); hint != "" {
		msg += ". " + hint
	}
	return msg
}

// hintFor explains the first recognisable failure.
func hintFor(pe *probeError, apiService *apiregistrationv1.APIService, serverName string) string {
	for _, f := range pe.failures {
		if f.err == nil {
			switch f.status {
			case http.StatusUnauthorized, http.StatusForbidden:
				return fmt.Sprintf("The backend refused %s (group %s), sent with the aggregator's proxy client certificate: "+
					"make the backend trust that certificate's CA as its requestheader client CA, and authorize the user", probeUser, probeGroup)
			case http.StatusNotFound:
				return fmt.Sprintf("The backend does not serve %s/%s", apiService.Spec.Group, apiService.Spec.Version)
			}
			if f.status >= 300 && f.status < 400 {
				return "Redirects are not followed: the backend must answer the discovery path itself"
			}
			continue
		}
		var opErr *net.OpError
		if errors.As(f.err, &opErr) && opErr.Op == "remote error" {
			return "The backend rejected the TLS handshake (often the aggregator's proxy client certificate): " +
				"make the backend trust the CA that signed --proxy-client-cert-file"
		}
		if isVerificationError(f.err) {
			return fmt.Sprintf("The backend's serving certificate was verified against %s for server name %q: "+
				"put the CA that signed the backend's serving certificate in spec.caBundle, "+
				"and make the certificate valid for %q", describeCABundle(apiService), serverName, serverName)
		}
	}
	return ""
}

func isVerificationError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// describeCABundle names the CAs of spec.caBundle so a person can tell
// whether the right one is there.
func describeCABundle(apiService *apiregistrationv1.APIService) string {
	if len(apiService.Spec.CABundle) == 0 {
		return "an empty spec.caBundle"
	}
	certs, err := certutil.ParseCertsPEM(apiService.Spec.CABundle)
	if err != nil {
		return fmt.Sprintf("spec.caBundle (unparseable: %v)", err)
	}
	names := make([]string, len(certs))
	for i, cert := range certs {
		names[i] = fmt.Sprintf("%q", cert.Subject.String())
	}
	return "spec.caBundle holding " + strings.Join(names, ", ")
}
