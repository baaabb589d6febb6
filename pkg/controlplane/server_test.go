package controlplane

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// testServer is a real control plane on embedded etcd, serving in this
// process until the test ends.
type testServer struct {
	*Server
	admin  *rest.Config
	client kubernetes.Interface
}

// startServer starts a control plane, lets configure change its options
// first, and returns once /readyz answers 200.
func startServer(tb testing.TB, configure func(*Options)) *testServer {
	tb.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	opts := NewOptions()
	opts.DataDir = filepath.Join(tb.TempDir(), "aggkit")
	opts.SecureServing.Listener = listener
	opts.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	if configure != nil {
		configure(opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	server, err := New(ctx, opts)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Logf("control plane stopped: %v", err)
		}
	})
	admin, err := clientcmd.BuildConfigFromFlags("", server.AdminKubeconfig)
	if err != nil {
		tb.Fatal(err)
	}
	// Fuzzing and oversized bodies send many requests quickly.
	admin.QPS, admin.Burst = -1, -1
	waitReady(tb, admin, done)
	client, err := kubernetes.NewForConfig(admin)
	if err != nil {
		tb.Fatal(err)
	}
	return &testServer{Server: server, admin: admin, client: client}
}

func waitReady(tb testing.TB, cfg *rest.Config, done <-chan error) {
	tb.Helper()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		tb.Fatal(err)
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
			tb.Fatalf("control plane stopped before it was ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
