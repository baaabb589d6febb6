package deploy

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/pkg/pki"
)

const (
	testGroup = "insurance.example.com"
	testNS    = "insurance"
	testName  = "insurance-api"
)

var testVersions = []string{"v1", "v1beta1"}

// TestLocalObjectsApplyAndReadBack applies LocalObjects to a real aggkit
// twice (server-side apply is idempotent) and reads every object back.
func TestLocalObjectsApplyAndReadBack(t *testing.T) {
	cfg := startAggkit(t)
	ctx := t.Context()
	ca := newTestCA(t)
	local := Local{Name: testName, Namespace: testNS, Group: testGroup, Versions: testVersions,
		Address: "127.0.0.1", Port: 9443, CABundle: ca.CertPEM(), ServiceAccount: "server"}

	var progress bytes.Buffer
	for range 2 {
		if err := Apply(ctx, cfg, LocalObjects(local), &progress); err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range []string{"applied namespace/insurance\n", "applied serviceaccount/server -n insurance\n",
		"applied rolebinding/insurance:insurance-api:auth-reader -n kube-system\n",
		"applied endpoints/insurance-api -n insurance\n", "applied apiservice/v1beta1.insurance.example.com\n"} {
		if !strings.Contains(progress.String(), line) {
			t.Errorf("progress lacks %q:\n%s", line, progress.String())
		}
	}
	if !strings.HasPrefix(progress.String(), "applied namespace/insurance\n") {
		t.Errorf("the Namespace is not applied first:\n%s", progress.String())
	}

	kube := kubernetes.NewForConfigOrDie(cfg)
	subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "server", Namespace: testNS}}
	if _, err := kube.CoreV1().ServiceAccounts(testNS).Get(ctx, "server", metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"insurance:insurance-api:auth-delegator", "insurance:insurance-api:extension-apiserver"} {
		crb, err := kube.RbacV1().ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(subjects, crb.Subjects); diff != "" {
			t.Errorf("%s subjects (-want +got):\n%s", name, diff)
		}
	}
	rb, err := kube.RbacV1().RoleBindings("kube-system").Get(ctx, "insurance:insurance-api:auth-reader", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.RoleRef.Name != "extension-apiserver-authentication-reader" || !cmp.Equal(subjects, rb.Subjects) {
		t.Errorf("auth-reader binding: %+v %+v", rb.RoleRef, rb.Subjects)
	}
	role, err := kube.RbacV1().ClusterRoles().Get(ctx, "insurance:insurance-api:extension-apiserver", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(readRules(), role.Rules); diff != "" {
		t.Errorf("ClusterRole rules (-want +got):\n%s", diff)
	}
	svc, err := kube.CoreV1().Services(testNS).Get(ctx, testName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(svc.Spec.Selector) != 0 || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 443 ||
		svc.Spec.Ports[0].TargetPort != intstr.FromInt(9443) {
		t.Errorf("Service spec: %+v", svc.Spec)
	}
	ep, err := kube.CoreV1().Endpoints(testNS).Get(ctx, testName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantSubsets := []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "127.0.0.1"}},
		Ports: []corev1.EndpointPort{{Name: "https", Port: 9443, Protocol: corev1.ProtocolTCP}}}}
	if diff := cmp.Diff(wantSubsets, ep.Subsets); diff != "" {
		t.Errorf("Endpoints (-want +got):\n%s", diff)
	}
	agg := aggregatorclient.NewForConfigOrDie(cfg)
	for _, v := range testVersions {
		as, err := agg.ApiregistrationV1().APIServices().Get(ctx, APIServiceName(testGroup, v), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := as.Spec
		if s.Group != testGroup || s.Version != v || s.InsecureSkipTLSVerify || !bytes.Equal(s.CABundle, ca.CertPEM()) ||
			s.Service == nil || s.Service.Name != testName || s.Service.Namespace != testNS || *s.Service.Port != 443 {
			t.Errorf("APIService %s spec: %+v", as.Name, s)
		}
		if managers := fieldManagers(as.ManagedFields); !cmp.Equal(managers, []string{FieldManager + "/Apply"}) {
			t.Errorf("APIService %s managed by %v, want only aggkit's apply", as.Name, managers)
		}
	}
}

// TestWaitAvailable registers a TLS server that answers discovery and one
// address nobody listens on: the first becomes Available, the second makes
// WaitAvailable fail with the aggregator's reason once its context ends.
func TestWaitAvailable(t *testing.T) {
	cfg := startAggkit(t)
	ca := newTestCA(t)
	backend := startDiscoveryServer(t, ca, testName, testNS)

	up := Local{Name: testName, Namespace: testNS, Group: testGroup, Versions: testVersions,
		Address: "127.0.0.1", Port: backend, CABundle: ca.CertPEM()}
	down := Local{Name: "nobody", Namespace: "nobody", Group: "down.example.com", Versions: []string{"v1"},
		Address: "127.0.0.1", Port: closedPort(t), CABundle: ca.CertPEM()}
	for _, l := range []Local{up, down} {
		if err := Apply(t.Context(), cfg, LocalObjects(l), nil); err != nil {
			t.Fatal(err)
		}
	}

	var progress bytes.Buffer
	names := []string{APIServiceName(testGroup, "v1"), APIServiceName(testGroup, "v1beta1")}
	if err := WaitAvailable(t.Context(), cfg, names, &progress); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "apiservice/v1.insurance.example.com: Available\n") {
		t.Errorf("progress:\n%s", progress.String())
	}

	// The deadline only ends a wait that can never succeed; what is
	// checked is the error's content.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	err := WaitAvailable(ctx, cfg, []string{"v1.down.example.com", "v1.missing.example.com"}, nil)
	if err == nil {
		t.Fatal("WaitAvailable returned nil for a server nobody runs")
	}
	for _, want := range []string{"v1.down.example.com: Available=False, reason ", "v1.missing.example.com: not found"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func newTestCA(t *testing.T) *pki.CA {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(dir+"/ca.crt", dir+"/ca.key", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// startDiscoveryServer serves /apis/<group>/<version> over TLS with a
// certificate for the Service's DNS names and returns its port.
func startDiscoveryServer(t *testing.T, ca *pki.CA, name, namespace string) int {
	t.Helper()
	cert, key, err := ca.Issue(pki.CertSpec{CommonName: name, DNSNames: ServiceDNSNames(name, namespace), Server: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"` +
			strings.TrimPrefix(r.URL.Path, "/apis/") + `","resources":[]}`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// closedPort is a port on loopback that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func fieldManagers(fields []metav1.ManagedFieldsEntry) []string {
	var out []string
	for _, f := range fields {
		if f.Subresource == "" {
			out = append(out, f.Manager+"/"+string(f.Operation))
		}
	}
	return out
}
