package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	certutil "k8s.io/client-go/util/cert"
)

// maxHandshakes bounds how many endpoints the tls link dials.
const maxHandshakes = 3

// handshake is what dialling one endpoint found.
type handshake struct {
	addr string
	// certs is the chain the endpoint presented, when the handshake worked.
	certs []*x509.Certificate
	// refused: the host answered but nothing listens on the port.
	refused bool
	// unreachable: no answer from here, which says nothing about the
	// aggregator's view (pod IPs from a laptop).
	unreachable bool
	err         error
}

// checkTLS is link 4: the endpoints speak TLS with a certificate that
// spec.caBundle verifies for <service>.<namespace>.svc, as the aggregator
// checks it.
func (d *doctor) checkTLS(ctx context.Context, t *target) Check {
	addrs := t.addrs
	if len(addrs) > maxHandshakes {
		addrs = addrs[:maxHandshakes]
	}
	name := serverName(t.apiService)
	results := make([]handshake, len(addrs))
	done := make(chan struct{})
	for i, addr := range addrs {
		go func() {
			results[i] = dialTLS(ctx, addr, name, d.opts.dialTimeout)
			done <- struct{}{}
		}()
	}
	for range addrs {
		<-done
	}

	var verified, refused, unreachable, broken []string
	var firstProblem *Check
	for _, h := range results {
		switch {
		case h.refused:
			refused = append(refused, h.addr)
		case h.unreachable:
			unreachable = append(unreachable, fmt.Sprintf("%s (%v)", h.addr, h.err))
		case h.err != nil:
			broken = append(broken, fmt.Sprintf("%s: %v", h.addr, h.err))
		default:
			problem := verifyServing(h, t, name)
			if problem == nil {
				verified = append(verified, describeLeaf(h.addr, h.certs[0]))
			} else if firstProblem == nil {
				firstProblem = problem
			}
		}
	}
	switch {
	case firstProblem != nil:
		return *firstProblem
	case len(broken) > 0:
		return fail("the TCP connection opened but the TLS handshake failed: "+strings.Join(broken, "; "),
			"the server must serve HTTPS on the endpoint port (its --secure-port); check that the port is not another program's")
	case len(verified) > 0:
		msg := "verified for " + name + ": " + strings.Join(verified, "; ")
		if t.apiService.Spec.InsecureSkipTLSVerify {
			msg = "handshake ok, certificate not verified since spec.insecureSkipTLSVerify is true (set spec.caBundle instead): " + strings.Join(verified, "; ")
		}
		if len(refused) > 0 {
			msg += "; nothing listens at " + strings.Join(refused, ", ")
		}
		return ok("%s", msg)
	case len(refused) > 0:
		return fail("nothing listens at "+strings.Join(refused, ", ")+" (connection refused): the server is down or on another port",
			fmt.Sprintf("start the server (check its log for why it exited), and make its --secure-port the endpoint port, "+
				"which is the Service's targetPort (%s)", describePort(t.servicePort)))
	default:
		return skip("not reachable from here, so the certificate was not checked (the aggregator may still reach it; "+
			"its probe result is the Available condition): %s", strings.Join(unreachable, "; "))
	}
}

// dialTLS connects to addr and completes a handshake without verifying, so
// that the certificate can be examined and explained afterwards.
func dialTLS(ctx context.Context, addr, serverName string, timeout time.Duration) handshake {
	h := handshake{addr: addr}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		h.err = err
		h.refused = errors.Is(err, syscall.ECONNREFUSED)
		h.unreachable = !h.refused
		return h
	}
	defer conn.Close()
	tlsConn := tls.Client(conn, &tls.Config{ServerName: serverName, InsecureSkipVerify: true}) //nolint:gosec // verified by verifyServing
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		var recordErr tls.RecordHeaderError
		if errors.As(err, &recordErr) {
			err = fmt.Errorf("it does not speak TLS: %w", err)
		}
		h.err = err
		return h
	}
	h.certs = tlsConn.ConnectionState().PeerCertificates
	if len(h.certs) == 0 {
		h.err = errors.New("no certificate presented")
	}
	return h
}

// verifyServing checks h's certificate as the aggregator does and returns a
// failed Check explaining the first problem, or nil.
func verifyServing(h handshake, t *target, name string) *Check {
	if t.apiService.Spec.InsecureSkipTLSVerify {
		return nil
	}
	leaf := h.certs[0]
	now := time.Now()
	reissue := fmt.Sprintf("issue a new serving certificate valid for %s (DNS names %s.%s.svc and the shorter and longer forms), "+
		"signed by the CA in spec.caBundle, and restart the server or update its Secret", name, t.service.Name, t.service.Namespace)
	if now.After(leaf.NotAfter) {
		c := fail(fmt.Sprintf("%s presents a certificate that expired at %s", h.addr, leaf.NotAfter.UTC().Format(time.RFC3339)), reissue)
		return &c
	}
	if now.Before(leaf.NotBefore) {
		c := fail(fmt.Sprintf("%s presents a certificate not valid before %s (clock skew?)", h.addr, leaf.NotBefore.UTC().Format(time.RFC3339)), reissue)
		return &c
	}

	roots, bundleDesc, err := rootsFor(t.apiService.Spec.CABundle)
	if err != nil {
		c := fail(fmt.Sprintf("spec.caBundle cannot be used: %v", err), caBundleFix(t.apiService.Name))
		return &c
	}
	intermediates := x509.NewCertPool()
	for _, c := range h.certs[1:] {
		intermediates.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, CurrentTime: now}); err != nil {
		msg := fmt.Sprintf("%s presents a certificate issued by %q, which %s does not verify: %v", h.addr, leaf.Issuer.String(), bundleDesc, err)
		if sameNameOtherKey(leaf, t.apiService.Spec.CABundle) {
			msg += fmt.Sprintf(" (a different CA of the same name: the certificate's authority key ID is %s)", keyID(leaf.AuthorityKeyId))
		}
		if leaf.Issuer.String() == leaf.Subject.String() {
			msg += " (the certificate is self-signed: a server started without --tls-cert-file generates one)"
		}
		c := fail(msg, caBundleFix(t.apiService.Name))
		return &c
	}
	if err := leaf.VerifyHostname(name); err != nil {
		c := fail(fmt.Sprintf("%s presents a certificate for %s, not for %s, the name the aggregator verifies",
			h.addr, certNames(leaf), name), reissue)
		return &c
	}
	return nil
}

func caBundleFix(apiService string) string {
	return fmt.Sprintf("put the CA that signed the server's serving certificate in spec.caBundle (base64 of the PEM): "+
		`kubectl patch apiservice %s --type=merge -p "{\"spec\":{\"caBundle\":\"$(base64 -w0 < ca.crt)\"}}"`, apiService)
}

// rootsFor is the pool the aggregator verifies with: spec.caBundle, or the
// system roots when it is empty.
func rootsFor(caBundle []byte) (*x509.CertPool, string, error) {
	if len(caBundle) == 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, "", fmt.Errorf("spec.caBundle is empty and the system roots cannot be read: %w", err)
		}
		return pool, "an empty spec.caBundle (so the system roots)", nil
	}
	certs, err := certutil.ParseCertsPEM(caBundle)
	if err != nil {
		return nil, "", fmt.Errorf("spec.caBundle holds no PEM certificate: %w", err)
	}
	pool := x509.NewCertPool()
	names := make([]string, len(certs))
	for i, c := range certs {
		pool.AddCert(c)
		names[i] = fmt.Sprintf("%q (key ID %s)", c.Subject.String(), keyID(c.SubjectKeyId))
	}
	return pool, "spec.caBundle (holding " + strings.Join(names, ", ") + ")", nil
}

// sameNameOtherKey reports whether caBundle holds a CA named like leaf's
// issuer that did not sign it: a regenerated CA, the usual cause.
func sameNameOtherKey(leaf *x509.Certificate, caBundle []byte) bool {
	certs, err := certutil.ParseCertsPEM(caBundle)
	if err != nil {
		return false
	}
	for _, c := range certs {
		if c.Subject.String() == leaf.Issuer.String() {
			return true
		}
	}
	return false
}

// keyID formats a key identifier as openssl shows it.
func keyID(id []byte) string {
	if len(id) == 0 {
		return "unset"
	}
	parts := make([]string, len(id))
	for i, b := range id {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// certNames lists the names a certificate is valid for; the Common Name
// does not count, as in Go's and the aggregator's verification.
func certNames(c *x509.Certificate) string {
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return fmt.Sprintf("no names (only the Common Name %q, which is not used)", c.Subject.CommonName)
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func describeLeaf(addr string, c *x509.Certificate) string {
	return fmt.Sprintf("%s (issuer %q, valid until %s)", addr, c.Issuer.String(), c.NotAfter.UTC().Format(time.RFC3339))
}
