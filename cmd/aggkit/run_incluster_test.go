package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/pkg/controlplane"
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

// startDeployTarget runs an aggkit control plane in this process until the test
// ends and returns its admin kubeconfig once /readyz is ok.
func startDeployTarget(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := controlplane.NewOptions()
	opts.DataDir = filepath.Join(t.TempDir(), "aggkit")
	opts.SecureServing.Listener = listener
	opts.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithCancel(context.Background())
	server, err := controlplane.New(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	cfg, err := clientcmd.BuildConfigFromFlags("", server.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if resp, err := client.Get(cfg.Host + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return server.AdminKubeconfig
			}
		}
		select {
		case err := <-done:
			t.Fatalf("aggkit stopped before it was ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
