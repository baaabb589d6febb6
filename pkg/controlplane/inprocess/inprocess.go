// Package inprocess runs an aggkit control plane inside this process on a
// loopback listener and waits until it is ready: `aggkit run local`,
// pkg/aggtest and tests use it. The server itself is pkg/controlplane.
package inprocess

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/pkg/childprocess"
	"github.com/aggkit/aggkit/pkg/controlplane"
)

// ControlPlane is an aggkit control plane running in this process.
type ControlPlane struct {
	// DataDir holds its etcd data, PKI (pki/ca.crt is also the client CA)
	// and admin.kubeconfig.
	DataDir string
	// URL is where it serves, https://127.0.0.1:<port>.
	URL string
	// AdminKubeconfig is the path of a system:masters kubeconfig.
	AdminKubeconfig string
	// Admin is the client configuration of AdminKubeconfig.
	Admin *rest.Config
	// Server is the control plane itself, e.g. for WriteClientKubeconfig.
	Server *controlplane.Server

	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start starts a control plane with its data in dataDir,
// serving on listener (its port is what clients dial), and returns once it
// is ready. A dataDir from an earlier run is reused: same PKI, same objects.
func Start(ctx context.Context, dataDir string, listener net.Listener) (*ControlPlane, error) {
	return StartWith(ctx, Options(dataDir, listener))
}

// Options are the settings Start uses, for callers that change some
// (aggtest points it at an etcd it shares).
func Options(dataDir string, listener net.Listener) *controlplane.Options {
	opts := controlplane.NewOptions()
	opts.DataDir = dataDir
	opts.SecureServing.Listener = listener
	opts.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	// Events (endpoints, APIService changes) trigger probes at once.
	// Probes are cheap on loopback; a short period makes a server that
	// comes back without any Endpoints change Available within a second.
	opts.AvailabilityPeriod = time.Second
	return opts
}

// StartWith starts a control plane with opts, which must name a DataDir and
// a SecureServing.Listener, and returns once it is ready. Tests use it for
// settings Start does not choose (shared etcd, ranges, timeouts).
func StartWith(ctx context.Context, opts *controlplane.Options) (*ControlPlane, error) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	server, err := controlplane.New(runCtx, opts)
	if err != nil {
		cancel()
		if opts.SecureServing.Listener != nil {
			opts.SecureServing.Listener.Close()
		}
		return nil, fmt.Errorf("control plane: %w", err)
	}
	cp := &ControlPlane{DataDir: opts.DataDir, URL: server.URL, AdminKubeconfig: server.AdminKubeconfig, Server: server,
		cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(cp.done)
		cp.err = server.Run(runCtx)
	}()
	if cp.Admin, err = clientcmd.BuildConfigFromFlags("", cp.AdminKubeconfig); err != nil {
		cp.Stop()
		return nil, fmt.Errorf("control plane admin kubeconfig: %w", err)
	}
	if err := cp.waitReady(ctx); err != nil {
		cp.Stop()
		return nil, err
	}
	return cp, nil
}

// waitReady polls /readyz until it answers ok (post-start hooks such as
// the RBAC bootstrap have then run), then until the control plane has
// published kube-system/extension-apiserver-authentication, which its
// readiness does not cover: an extension server started before reads
// no requestheader settings when it starts.
func (cp *ControlPlane) waitReady(ctx context.Context) error {
	client, err := rest.HTTPClientFor(cp.Admin)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	if err := childprocess.PollReadyz(ctx, client, cp.URL, "control plane", cp.done, func() error { return cp.err }); err != nil {
		return err
	}
	configMaps := kubernetes.NewForConfigOrDie(cp.Admin).CoreV1().ConfigMaps(metav1.NamespaceSystem)
	for {
		cm, err := configMaps.Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
		if err == nil && cm.Data["requestheader-client-ca-file"] != "" {
			return nil
		}
		select {
		case <-cp.done:
			return fmt.Errorf("control plane stopped before it published its authentication ConfigMap: %w", cp.err)
		case <-ctx.Done():
			return fmt.Errorf("control plane published no kube-system/extension-apiserver-authentication: %w (last: %v)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Done is closed when the control plane has stopped.
func (cp *ControlPlane) Done() <-chan struct{} { return cp.done }

// Stop shuts the control plane down, waits until its listener and etcd are
// closed, and returns why it stopped if that was not the shutdown itself.
func (cp *ControlPlane) Stop() error {
	cp.cancel()
	<-cp.done
	if cp.err != nil && !errors.Is(cp.err, context.Canceled) {
		return cp.err
	}
	return nil
}

// StartForTest starts a control plane on a free loopback port with its data
// in a temporary folder of tb, stops it when tb ends, and fails tb if it
// does not start.
func StartForTest(ctx context.Context, tb testing.TB) *ControlPlane {
	tb.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	cp, err := Start(ctx, filepath.Join(tb.TempDir(), "controlplane"), listener)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cp.Stop() })
	return cp
}
