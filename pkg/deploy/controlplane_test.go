package deploy

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/pkg/controlplane"
)

// startAggkit runs a real aggkit control plane in this process until the
// test ends and returns its admin client configuration once /readyz is ok.
func startAggkit(t *testing.T) *rest.Config {
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
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("aggkit stopped: %v", err)
		}
	})
	cfg, err := clientcmd.BuildConfigFromFlags("", server.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, cfg, done)
	return cfg
}

func waitReady(t *testing.T, cfg *rest.Config, done <-chan error) {
	t.Helper()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	for {
		resp, err := client.Get(cfg.Host + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-done:
			t.Fatalf("aggkit stopped before it was ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
