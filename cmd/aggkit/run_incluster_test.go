package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
)

// TestRunInClusterAgainstAggkit runs the command against a real aggkit,
// which has no Deployments: everything before the Deployment is applied
// and shown, then the command stops with an error naming the missing kind.
// (A real cluster, where the Deployment applies and the wait succeeds, is
// not available to these tests.)
func TestRunInClusterAgainstAggkit(t *testing.T) {
	kubeconfig := startDeployTarget(t)
	cmd := newRunInClusterCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--dir", t.TempDir(), "--kubeconfig", kubeconfig, "--image", "img:1", "--name", "insurance",
		"--group", "insurance.example.com", "--versions", "v1", "--etcd-servers", "http://etcd:2379", "--timeout", "1m"})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "apply deployment/insurance -n insurance: the server does not serve kind Deployment") {
		t.Fatalf("error %v\n%s", err, out.String())
	}
	for _, want := range []string{"==> writing manifests", "==> applying ", "applied namespace/insurance\n",
		"applied secret/insurance-serving-cert -n insurance\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// startDeployTarget runs an aggkit control plane in this process until the
// test ends (runlocal's, as run local uses) and returns its admin kubeconfig
// once /readyz is ok.
func startDeployTarget(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return inprocess.StartForTest(ctx, t).AdminKubeconfig
}
