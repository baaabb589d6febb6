package framework

import (
	stdbase64 "encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/pki"
)

// ServingCert is a CA and a serving certificate it signed, on disk, as a
// user would make for an extension server before registering it.
type ServingCert = deploy.Serving

// NewServingCert makes a CA and a serving certificate for the names by
// which the aggregator reaches a Service (<name>.<namespace>.svc and its
// longer forms), localhost, and the two loopback addresses tests serve on.
func NewServingCert(t testing.TB, namespace, service string) *ServingCert {
	t.Helper()
	s, err := deploy.LoadOrCreateServing(t.TempDir(), service, namespace, net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// RegistrationManifest is what a Kubernetes user applies to register an
// extension server that runs on this machine at 127.0.0.1:port: a Service
// without selector with Endpoints on loopback, the RBAC every extension
// server needs, and the APIService with the caBundle.
func RegistrationManifest(namespace, service, group, version string, port int, caBundle []byte) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: %[1]s}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: apiserver, namespace: %[1]s}
---
apiVersion: v1
kind: Service
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  ports: [{name: https, port: 443, targetPort: %[5]d}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: %[2]s, namespace: %[1]s}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: https, port: %[5]d}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "%[1]s:system:auth-delegator"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator"}
subjects: [{kind: ServiceAccount, name: apiserver, namespace: %[1]s}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: %[1]s-auth-reader, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{kind: ServiceAccount, name: apiserver, namespace: %[1]s}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "%[1]s:extension-apiserver"}
rules:
- {apiGroups: [""], resources: [namespaces], verbs: [get, list, watch]}
- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations, validatingwebhookconfigurations, validatingadmissionpolicies, validatingadmissionpolicybindings, mutatingadmissionpolicies, mutatingadmissionpolicybindings], verbs: [get, list, watch]}
- {apiGroups: [flowcontrol.apiserver.k8s.io], resources: [prioritylevelconfigurations, flowschemas], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "%[1]s:extension-apiserver"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "%[1]s:extension-apiserver"}
subjects: [{kind: ServiceAccount, name: apiserver, namespace: %[1]s}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: %[4]s.%[3]s}
spec:
  group: %[3]s
  version: %[4]s
  service: {namespace: %[1]s, name: %[2]s, port: 443}
  caBundle: %[6]s
  groupPriorityMinimum: 1000
  versionPriority: 15
`, namespace, service, group, version, port, Base64(caBundle))
}

// WriteTokenKubeconfig writes a kubeconfig for the aggkit with a bearer token.
func (a *Aggkit) WriteTokenKubeconfig(token string) string {
	a.t.Helper()
	ca, err := os.ReadFile(filepath.Join(a.DataDir, "pki", "ca.crt"))
	if err != nil {
		a.t.Fatal(err)
	}
	path := filepath.Join(a.t.TempDir(), "token.kubeconfig")
	if err := (pki.Kubeconfig{Server: a.RESTConfig().Host, CAPEM: ca, Token: token}).Write(path); err != nil {
		a.t.Fatal(err)
	}
	return path
}

// Base64 encodes data as Kubernetes writes []byte fields.
func Base64(data []byte) string { return stdbase64.StdEncoding.EncodeToString(data) }
