package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestRestartKeepsEverything: objects and certificates survive a restart on
// the same --data-dir.
func TestRestartKeepsEverything(t *testing.T) {
	a := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, a.Kubeconfig)
	k.MustRun("create", "namespace", "kept")
	k.MustRun("create", "configmap", "kept", "-n", "kept", "--from-literal=a=1")
	k.MustRun("create", "clusterrole", "kept", "--verb=get", "--resource=configmaps")

	files := []string{"ca.crt", "ca.key", "apiserver.crt", "front-proxy-ca.crt", "front-proxy-client.crt", "sa.key"}
	before := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(a.DataDir, "pki", f))
		if err != nil {
			t.Fatal(err)
		}
		before[f] = data
	}
	k.MustRun("create", "serviceaccount", "keeper", "-n", "kept")
	token := strings.TrimSpace(k.MustRun("create", "token", "keeper", "-n", "kept", "--duration=1h"))

	a.Stop()
	a.Start()

	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(a.DataDir, "pki", f))
		if err != nil || string(data) != string(before[f]) {
			t.Errorf("pki/%s changed across the restart", f)
		}
	}
	if got := k.MustRun("get", "configmap", "kept", "-n", "kept", "-o", "jsonpath={.data.a}"); got != "1" {
		t.Fatalf("configmap after restart: %q", got)
	}
	k.MustRun("get", "clusterrole", "kept")
	// A token issued before the restart still authenticates: the signing
	// key was kept.
	cfg := a.RESTConfig()
	cfg.CertData, cfg.KeyData, cfg.BearerToken = nil, nil, token
	review, err := framework.ClientFor(t, cfg).AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || review.Status.UserInfo.Username != "system:serviceaccount:kept:keeper" {
		t.Fatalf("token from before the restart: %v %+v", err, review)
	}
}
