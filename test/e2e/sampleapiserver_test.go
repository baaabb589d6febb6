package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/etcd"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestSampleAPIServerLeansOnAggkit runs the unmodified sample-apiserver with
// aggkit as its kube-apiserver: it reads the authentication ConfigMap,
// delegates tokens and authorization to aggkit, and its informers watch
// aggkit's namespaces and admission configuration.
func TestSampleAPIServerLeansOnAggkit(t *testing.T) {
	store, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Stop)
	a := framework.StartAggkit(t, "", "--etcd-servers", store.ClientURL)
	k := framework.NewKubectl(t, a.Kubeconfig)

	// The server's identity: a service account with the two bindings every
	// extension server needs, plus read access to what its admission and
	// flow-control informers watch.
	k.MustRun("create", "namespace", "wardle")
	k.MustRun("create", "serviceaccount", "apiserver", "-n", "wardle")
	k.MustRun("create", "clusterrolebinding", "wardle:system:auth-delegator", "--clusterrole=system:auth-delegator", "--serviceaccount=wardle:apiserver")
	k.MustRun("create", "rolebinding", "wardle-auth-reader", "-n", "kube-system", "--role=extension-apiserver-authentication-reader", "--serviceaccount=wardle:apiserver")
	k.Apply(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"aggregated-apiserver-clusterrole"},"rules":[
		{"apiGroups":[""],"resources":["namespaces"],"verbs":["get","watch","list"]},
		{"apiGroups":["admissionregistration.k8s.io"],"resources":["mutatingwebhookconfigurations","validatingwebhookconfigurations","validatingadmissionpolicies","validatingadmissionpolicybindings","mutatingadmissionpolicies","mutatingadmissionpolicybindings"],"verbs":["get","watch","list"]},
		{"apiGroups":["flowcontrol.apiserver.k8s.io"],"resources":["prioritylevelconfigurations","flowschemas"],"verbs":["list","watch"]}]}`)
	k.MustRun("create", "clusterrolebinding", "sample-apiserver-clusterrolebinding", "--clusterrole=aggregated-apiserver-clusterrole", "--serviceaccount=wardle:apiserver")
	serverToken := strings.TrimSpace(k.MustRun("create", "token", "apiserver", "-n", "wardle", "--duration=2h"))
	serverKubeconfig := a.WriteTokenKubeconfig(serverToken)

	sample := framework.StartSampleAPIServer(t, store.ClientURL, serverKubeconfig)

	// A caller authenticated by token: sample-apiserver asks aggkit who it
	// is (TokenReview) and whether it may (SubjectAccessReview).
	k.MustRun("create", "serviceaccount", "reader", "-n", "default")
	readerToken := strings.TrimSpace(k.MustRun("create", "token", "reader", "-n", "default"))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sample.CA(t)}}}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", sample.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+readerToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	const flunders = "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders"
	if code, body := get(flunders); code != http.StatusForbidden || !strings.Contains(body, "system:serviceaccount:default:reader") {
		t.Fatalf("before any grant: HTTP %d %s", code, body)
	}
	// A manifest, not `kubectl create clusterrole`: kubectl would look the
	// resource up in aggkit's discovery, where wardle is not registered here.
	k.Apply(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"flunder-reader"},
		"rules":[{"apiGroups":["wardle.example.com"],"resources":["flunders"],"verbs":["get","list"]}]}`)
	k.MustRun("create", "clusterrolebinding", "flunder-reader", "--clusterrole=flunder-reader", "--serviceaccount=default:reader")
	framework.Eventually(t, 30*time.Second, func() bool {
		code, _ := get(flunders)
		return code == http.StatusOK
	}, func() string {
		code, body := get(flunders)
		return "after the grant: " + http.StatusText(code) + " " + body
	})

	// Its NamespaceLifecycle admission reads aggkit's namespaces through an
	// informer: a flunder in a namespace aggkit lacks is refused.
	admin := adminClient(t, a, sample)
	resp, err := admin.Post(sample.URL+"/apis/wardle.example.com/v1alpha1/namespaces/nowhere/flunders", "application/json",
		strings.NewReader(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"f"}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `namespaces \"nowhere\" not found`) {
		t.Fatalf("flunder in a missing namespace: HTTP %d %s", resp.StatusCode, body)
	}
	resp, err = admin.Post(sample.URL+"/apis/wardle.example.com/v1alpha1/namespaces/default/flunders", "application/json",
		strings.NewReader(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"f"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("flunder in default: HTTP %d\n%s", resp.StatusCode, sample.Log())
	}
}

// adminClient calls the sample-apiserver with aggkit's admin certificate,
// which it trusts through the client CA published by aggkit.
func adminClient(t *testing.T, a *framework.Aggkit, sample *framework.SampleAPIServer) *http.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(a.DataDir, "pki", "admin.crt"), filepath.Join(a.DataDir, "pki", "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sample.CA(t), Certificates: []tls.Certificate{cert}}}}
}
