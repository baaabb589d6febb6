package aggtest

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/controlplane"
	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/extension"
)

// Env is a running control plane with the server under test registered
// and Available behind it.
type Env struct {
	// Config is a system:masters client configuration of the control
	// plane: requests for the server's group go through the aggregator.
	Config *rest.Config
	// Kubeconfig is the path of the same identity as a kubeconfig file,
	// for tools such as kubectl.
	Kubeconfig string
	// APIServices are the registered APIService names, <version>.<group>.
	APIServices []string
}

// Start runs the control plane and server, registers server and waits
// until it is Available; it fails the test if any step fails. server must
// be freshly built and not yet run: Start sets its options (a free port on
// 127.0.0.1, a serving certificate the caBundle verifies, a service
// account kubeconfig, in-memory storage). Everything is stopped by
// t.Cleanup, the server before the control plane.
func Start(t testing.TB, server *extension.Server, opts ...Option) *Env {
	t.Helper()
	s := settings{namespace: strings.SplitN(server.Group(), ".", 2)[0], timeout: 2 * time.Minute}
	for _, o := range opts {
		o(&s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	progress := &logWriter{t: t}
	dir := t.TempDir()

	cp := startControlPlane(ctx, t, filepath.Join(dir, "controlplane"))
	serving, err := deploy.LoadOrCreateServing(filepath.Join(dir, "pki"), s.namespace, s.namespace, net.IPv4(127, 0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "server.kubeconfig")
	if err := cp.Server.WriteClientKubeconfig(kubeconfig, controlplane.ServiceAccountCredentials(s.namespace, deploy.DefaultServiceAccount)); err != nil {
		t.Fatal(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port

	local := deploy.Local{Name: s.namespace, Namespace: s.namespace, Group: server.Group(),
		Versions: server.Versions(), Address: "127.0.0.1", Port: port,
		CABundle: serving.CA.CertPEM(), ServiceAccount: deploy.DefaultServiceAccount}
	if err := deploy.Apply(ctx, cp.Admin, deploy.LocalObjects(local), progress); err != nil {
		listener.Close()
		t.Fatalf("register %s: %v", server.Group(), err)
	}

	o := server.Options()
	o.InMemory = true
	o.Recommended.SecureServing.Listener = listener
	o.Recommended.SecureServing.BindPort = port
	o.Recommended.SecureServing.ServerCert.CertKey.CertFile = serving.CertFile
	o.Recommended.SecureServing.ServerCert.CertKey.KeyFile = serving.KeyFile
	o.Recommended.CoreAPI.CoreAPIKubeconfigPath = kubeconfig
	running := runServer(t, server)

	env := &Env{Config: rest.CopyConfig(cp.Admin), Kubeconfig: cp.AdminKubeconfig}
	for _, v := range local.Versions {
		env.APIServices = append(env.APIServices, deploy.APIServiceName(local.Group, v))
	}
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	go func() {
		select {
		case <-running.exited:
			stopWaiting()
		case <-waitCtx.Done():
		}
	}()
	if err := deploy.WaitAvailable(waitCtx, cp.Admin, env.APIServices, progress); err != nil {
		select {
		case <-running.exited:
			t.Fatalf("server %s stopped before its APIServices became Available: %v", server.Group(), running.err)
		default:
		}
		t.Fatalf("server %s: %v", server.Group(), err)
	}
	return env
}

// startControlPlane runs a control plane until the test ends.
func startControlPlane(ctx context.Context, t testing.TB, dataDir string) *inprocess.ControlPlane {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := inprocess.Start(ctx, dataDir, listener)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("control plane: %v", err)
		}
	})
	return cp
}

// runningServer is the server under test, run in a goroutine.
type runningServer struct {
	exited chan struct{}
	err    error // valid once exited is closed
}

// runServer runs the server until the test ends.
func runServer(t testing.TB, server *extension.Server) *runningServer {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningServer{exited: make(chan struct{})}
	go func() {
		defer close(r.exited)
		r.err = server.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.exited
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			t.Errorf("server %s: %v", server.Group(), r.err)
		}
	})
	return r
}
