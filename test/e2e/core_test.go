package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestDiscoveryAndIdentity checks what kubectl learns about the server and
// about its caller.
func TestDiscoveryAndIdentity(t *testing.T) {
	a := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, a.Kubeconfig)

	resources := k.MustRun("api-resources")
	for _, want := range []string{"configmaps", "cm ", "namespaces", "ns ", "serviceaccounts", "sa ", "endpointslices",
		"leases", "clusterroles", "tokenreviews", "selfsubjectaccessreviews", "subjectaccessreviews", "apiservices",
		"validatingwebhookconfigurations", "flowschemas", "prioritylevelconfigurations", "selfsubjectreviews"} {
		if !strings.Contains(resources, want) {
			t.Errorf("api-resources lacks %q", want)
		}
	}
	versions := k.MustRun("api-versions")
	for _, want := range []string{"v1\n", "rbac.authorization.k8s.io/v1", "apiregistration.k8s.io/v1", "coordination.k8s.io/v1"} {
		if !strings.Contains(versions, want) {
			t.Errorf("api-versions lacks %q", want)
		}
	}
	apiservices := k.MustRun("get", "apiservices")
	for _, want := range []string{"v1.", "v1.rbac.authorization.k8s.io", "v1.apiregistration.k8s.io"} {
		if !strings.Contains(apiservices, want) {
			t.Errorf("get apiservices lacks %q:\n%s", want, apiservices)
		}
	}
	if !strings.Contains(apiservices, "Local") || strings.Contains(apiservices, "False") {
		t.Errorf("built-in APIServices should all be Local and Available:\n%s", apiservices)
	}

	whoami := k.MustRun("auth", "whoami")
	if !strings.Contains(whoami, "aggkit-admin") || !strings.Contains(whoami, "system:masters") {
		t.Errorf("auth whoami:\n%s", whoami)
	}
	if got := strings.TrimSpace(k.MustRun("auth", "can-i", "delete", "secrets")); got != "yes" {
		t.Errorf("admin can-i delete secrets = %q", got)
	}

	// A service-account token from `kubectl create token` authenticates.
	k.MustRun("create", "serviceaccount", "tester", "-n", "default")
	token := strings.TrimSpace(k.MustRun("create", "token", "tester", "-n", "default"))
	cfg := a.RESTConfig()
	cfg.CertData, cfg.KeyData, cfg.BearerToken = nil, nil, token
	client := framework.ClientFor(t, cfg)
	review, err := client.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("selfsubjectreview with a service-account token: %v", err)
	}
	if got := review.Status.UserInfo.Username; got != "system:serviceaccount:default:tester" {
		t.Errorf("token user = %q", got)
	}
}

// TestWatchSeesChanges runs `kubectl get -w` while objects change.
func TestWatchSeesChanges(t *testing.T) {
	a := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, a.Kubeconfig)
	out, stop := k.Start("get", "configmaps", "-n", "default", "-w", "--output-watch-events")
	defer stop()
	time.Sleep(time.Second) // let the watch start before the changes
	k.MustRun("create", "configmap", "watched", "-n", "default", "--from-literal=a=1")
	k.MustRun("label", "configmap", "watched", "-n", "default", "x=y")
	k.MustRun("delete", "configmap", "watched", "-n", "default")
	framework.Eventually(t, 30*time.Second, func() bool {
		s := out.String()
		return strings.Contains(s, "ADDED") && strings.Contains(s, "MODIFIED") && strings.Contains(s, "DELETED")
	}, func() string { return "watch output:\n" + out.String() })
}

// TestBadInput checks the status codes and bodies of refused requests.
func TestBadInput(t *testing.T) {
	a := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, a.Kubeconfig)
	http := framework.HTTPClient(t, a.RESTConfig())
	base := a.RESTConfig().Host

	cases := []struct {
		name, method, path, contentType, body string
		code                                  int
		reason                                metav1.StatusReason
	}{
		{"malformed JSON", "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"kind":`, 400, metav1.StatusReasonBadRequest},
		{"malformed YAML", "POST", "/api/v1/namespaces/default/configmaps", "application/yaml", "kind: [", 400, metav1.StatusReasonBadRequest},
		{"invalid object", "POST", "/api/v1/namespaces/default/configmaps", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"},"data":{"bad key!":"x"}}`, 422, metav1.StatusReasonInvalid},
		{"unknown resource", "GET", "/api/v1/namespaces/default/widgets", "", "", 404, metav1.StatusReasonNotFound},
		{"unknown group", "GET", "/apis/nothing.example.com/v1/things", "", "", 404, metav1.StatusReasonNotFound},
		{"missing namespace", "POST", "/api/v1/namespaces/nowhere/configmaps", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`, 404, metav1.StatusReasonNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status := framework.DoStatus(t, http, c.method, base+c.path, c.contentType, c.body)
			if status.Code != int32(c.code) || status.Reason != c.reason {
				t.Fatalf("got %d %s (%s), want %d %s", status.Code, status.Reason, status.Message, c.code, c.reason)
			}
			if c.code == 422 {
				causes := map[string]bool{}
				for _, cause := range status.Details.Causes {
					causes[cause.Field] = true
				}
				if !causes["metadata.name"] || !causes["data[bad key!]"] {
					t.Fatalf("field errors = %+v", status.Details.Causes)
				}
			}
		})
	}
	// Nothing of the refused writes was stored.
	if out := k.MustRun("get", "configmaps", "-n", "default", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Fatalf("refused writes left objects behind: %q", out)
	}
}

// TestNamespaceDeletion: a deleted namespace goes Terminating, its content
// is removed, and only then the namespace itself, as in Kubernetes.
func TestNamespaceDeletion(t *testing.T) {
	a := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, a.Kubeconfig)
	k.MustRun("create", "namespace", "doomed")
	if got := k.MustRun("get", "namespace", "doomed", "-o", "jsonpath={.spec.finalizers}"); got != `["kubernetes"]` {
		t.Fatalf("a new namespace has finalizers %s, want [\"kubernetes\"]", got)
	}
	k.MustRun("create", "configmap", "content", "-n", "doomed", "--from-literal=a=1")
	k.MustRun("delete", "namespace", "doomed", "--wait=false")
	if phase := k.MustRun("get", "namespace", "doomed", "-o", "jsonpath={.status.phase}"); phase != "Terminating" {
		t.Fatalf("right after delete the namespace is %q, want Terminating", phase)
	}
	if _, err := k.Run("", "create", "configmap", "late", "-n", "doomed"); err == nil || !strings.Contains(err.Error(), "terminat") {
		t.Fatalf("creating in a terminating namespace: %v", err)
	}
	framework.Eventually(t, 60*time.Second, func() bool {
		_, err := k.Run("", "get", "namespace", "doomed")
		return err != nil && strings.Contains(err.Error(), "NotFound")
	}, func() string { return k.MustRun("get", "namespace", "doomed", "-o", "yaml") })
}
