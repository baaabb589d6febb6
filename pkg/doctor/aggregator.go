package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certutil "k8s.io/client-go/util/cert"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// The ConfigMap in which the control plane publishes how extension servers
// authenticate it, and its keys about the front proxy (the aggregator).
const (
	authConfigMapNamespace = "kube-system"
	authConfigMapName      = "extension-apiserver-authentication"
	keyRequestHeaderCA     = "requestheader-client-ca-file"
	keyAllowedNames        = "requestheader-allowed-names"
)

// probeRefusedPattern finds the status of a probe the backend refused, in a
// FailedDiscoveryCheck message: "bad status from https://...: 401".
var probeRefusedPattern = regexp.MustCompile(`bad status from \S+: (401|403)\b`)

// frontProxy is what the authentication ConfigMap says about the
// aggregator's proxy client certificate.
type frontProxy struct {
	caSubjects   []string
	allowedNames []string
}

// checkAggregatorClient is link 5: the backend accepts the aggregator's
// proxy client certificate. doctor cannot present that certificate itself,
// so it reads what the control plane publishes for backends to trust and
// looks at how the backend answered the aggregator's own probe.
func (d *doctor) checkAggregatorClient(ctx context.Context, t *target) Check {
	fp, problem := d.readFrontProxy(ctx)
	if problem != nil {
		return *problem
	}
	published := "no front-proxy settings readable"
	if fp != nil {
		published = fmt.Sprintf("front-proxy CA %s, allowed names %s", strings.Join(fp.caSubjects, ", "), describeAllowed(fp.allowedNames))
	}
	cond := t.available
	if cond == nil || cond.Status == apiregistrationv1.ConditionTrue || cond.Reason != "FailedDiscoveryCheck" {
		return ok("%s; the aggregator's probe of the backend shows no authentication failure", published)
	}
	if m := probeRefusedPattern.FindStringSubmatch(cond.Message); m != nil {
		msg := fmt.Sprintf("the backend answered %s to the aggregator's probe: it does not accept the aggregator's proxy "+
			"client certificate (%s)", m[1], published)
		if m[1] == "403" {
			// Servers on k8s.io/apiserver allow anonymous requests and always
			// authorize system:masters, so a 403 to the probe almost always
			// means the certificate was not accepted and the probe went on as
			// system:anonymous.
			msg += "; so it took the probe for system:anonymous and refused it (were the certificate accepted, " +
				"user system:kube-aggregator in group system:masters would be allowed)"
		}
		return fail(msg, frontProxyFix(fp))
	}
	if strings.Contains(cond.Message, "remote error: tls:") {
		return fail(fmt.Sprintf("the backend broke off the TLS handshake with the aggregator, which presents its proxy client "+
			"certificate there (%s)", published), frontProxyFix(fp))
	}
	return ok("%s; the aggregator's probe failed, but not on authentication", published)
}

func frontProxyFix(fp *frontProxy) string {
	names := "the proxy client certificate's Common Name"
	if fp != nil && len(fp.allowedNames) > 0 {
		names = strings.Join(fp.allowedNames, ", ")
	}
	return fmt.Sprintf("make the backend trust the front-proxy CA that %s/%s publishes under %s: run it without "+
		"--requestheader-client-ca-file so it reads that ConfigMap (with the extension-apiserver-authentication-reader binding), "+
		"or point the flag at that CA (kubectl -n %s get configmap %s -o jsonpath='{.data.%s}' > front-proxy-ca.crt); "+
		"and leave --requestheader-allowed-names empty or make it include %s",
		authConfigMapNamespace, authConfigMapName, keyRequestHeaderCA, authConfigMapNamespace, authConfigMapName, keyRequestHeaderCA, names)
}

// readFrontProxy reads the ConfigMap. A ConfigMap the caller may not read
// is no finding; one without the front-proxy CA is, since no backend that
// reads it can then authenticate the aggregator.
func (d *doctor) readFrontProxy(ctx context.Context) (*frontProxy, *Check) {
	cm, err := d.core.CoreV1().ConfigMaps(authConfigMapNamespace).Get(ctx, authConfigMapName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		c := fail(fmt.Sprintf("ConfigMap %s/%s does not exist, so backends cannot learn how to authenticate the aggregator",
			authConfigMapNamespace, authConfigMapName),
			"start kube-apiserver with --requestheader-client-ca-file, --requestheader-allowed-names and "+
				"--proxy-client-cert-file/--proxy-client-key-file; it then publishes the ConfigMap (aggkit serve does so itself)")
		return nil, &c
	case err != nil:
		return nil, nil
	}
	caPEM := cm.Data[keyRequestHeaderCA]
	if strings.TrimSpace(caPEM) == "" {
		c := fail(fmt.Sprintf("ConfigMap %s/%s has no %s, so backends cannot authenticate the aggregator's proxy client",
			authConfigMapNamespace, authConfigMapName, keyRequestHeaderCA),
			"start kube-apiserver with --requestheader-client-ca-file (the CA of --proxy-client-cert-file) and --requestheader-allowed-names")
		return nil, &c
	}
	certs, err := certutil.ParseCertsPEM([]byte(caPEM))
	if err != nil {
		c := fail(fmt.Sprintf("%s in ConfigMap %s/%s is not a PEM certificate: %v", keyRequestHeaderCA, authConfigMapNamespace, authConfigMapName, err),
			"give kube-apiserver a PEM CA in --requestheader-client-ca-file")
		return nil, &c
	}
	fp := &frontProxy{}
	for _, c := range certs {
		fp.caSubjects = append(fp.caSubjects, fmt.Sprintf("%q", c.Subject.String()))
	}
	if raw := cm.Data[keyAllowedNames]; raw != "" {
		// Published as a JSON list; an unparseable value is shown as is.
		if err := json.Unmarshal([]byte(raw), &fp.allowedNames); err != nil {
			fp.allowedNames = []string{raw}
		}
	}
	return fp, nil
}

func describeAllowed(names []string) string {
	if len(names) == 0 {
		return "any (empty)"
	}
	return "[" + strings.Join(names, ", ") + "]"
}
