package aggtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/childprocess"
	"github.com/aggkit/aggkit/pkg/controlplane"
	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/etcd"
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
// account kubeconfig, storage on the control plane's etcd). Everything is
// stopped by t.Cleanup, the server before the control plane. Both servers'
// klog lines go to t's log: shown with -v or when the test fails.
func Start(t testing.TB, server *extension.Server, opts ...Option) *Env {
	t.Helper()
	s := settings{namespace: strings.SplitN(server.Group(), ".", 2)[0], timeout: 2 * time.Minute}
	for _, o := range opts {
		o(&s)
	}
	routeKlog(t)
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	progress := &logWriter{t: t}
	dir := t.TempDir()

	// One etcd for both servers, as in a cluster where an extension server
	// shares the main one's etcd: one member to start instead of two.
	store := startEtcd(ctx, t, filepath.Join(dir, "etcd"))
	cp := startControlPlane(ctx, t, filepath.Join(dir, "controlplane"), store.ClientURL, s.controlPlane)
	t.Logf("aggtest: control plane ready at %s after %s", cp.URL, time.Since(began).Round(time.Millisecond))
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

	// The server's identity first: it reads the authentication ConfigMap
	// with it while it starts. Its Service, Endpoints and APIServices only
	// once it is ready, as a kubelet adds a Pod to Endpoints once its
	// readiness probe passes: the aggregator's first probe, which the
	// Endpoints trigger, then finds it able to authenticate the aggregator.
	local := deploy.Local{Name: s.namespace, Namespace: s.namespace, Group: server.Group(),
		Versions: server.Versions(), Address: "127.0.0.1", Port: port,
		CABundle: serving.CA.CertPEM(), ServiceAccount: deploy.DefaultServiceAccount}
	identity, routing := deploy.SplitRouting(deploy.LocalObjects(local))
	if err := deploy.Apply(ctx, cp.Admin, identity, progress); err != nil {
		listener.Close()
		t.Fatalf("register %s: %v", server.Group(), err)
	}

	o := server.Options()
	o.InMemory = false
	o.Recommended.Etcd.StorageConfig.Transport.ServerList = []string{store.ClientURL}
	o.Recommended.SecureServing.Listener = listener
	o.Recommended.SecureServing.BindPort = port
	o.Recommended.SecureServing.ServerCert.CertKey.CertFile = serving.CertFile
	o.Recommended.SecureServing.ServerCert.CertKey.KeyFile = serving.KeyFile
	o.Recommended.CoreAPI.CoreAPIKubeconfigPath = kubeconfig
	running := runServer(t, server, cp)
	waitCtx, stopWaiting := childprocess.UntilGone(ctx, running.exited)
	defer stopWaiting()
	failIfExited := func(err error) {
		select {
		case <-running.exited:
			t.Fatalf("server %s stopped before its APIServices became Available: %v", server.Group(), running.err)
		default:
		}
		t.Fatalf("server %s: %v", server.Group(), err)
	}
	if err := deploy.WaitServerReady(waitCtx, cp.Admin, serving.CA.CertPEM(), port); err != nil {
		failIfExited(err)
	}
	t.Logf("aggtest: server %s ready after %s", server.Group(), time.Since(began).Round(time.Millisecond))

	env := &Env{Config: rest.CopyConfig(cp.Admin), Kubeconfig: cp.AdminKubeconfig}
	for _, v := range local.Versions {
		env.APIServices = append(env.APIServices, deploy.APIServiceName(local.Group, v))
	}
	if err := deploy.Apply(waitCtx, cp.Admin, routing, progress); err != nil {
		failIfExited(fmt.Errorf("register: %w", err))
	}
	if err := deploy.WaitAvailable(waitCtx, cp.Admin, env.APIServices, progress); err != nil {
		failIfExited(err)
	}
	t.Logf("aggtest: %s Available after %s", strings.Join(env.APIServices, ", "), time.Since(began).Round(time.Millisecond))
	return env
}

// startEtcd runs an embedded etcd member until the test ends, after both
// servers.
func startEtcd(ctx context.Context, t testing.TB, dir string) *etcd.Embedded {
	t.Helper()
	member, err := etcd.StartEmbedded(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(member.Stop)
	return member
}

// startControlPlane runs a control plane until the test ends.
func startControlPlane(ctx context.Context, t testing.TB, dataDir, etcdURL string, configure func(*controlplane.Options)) *inprocess.ControlPlane {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := inprocess.Options(dataDir, listener)
	if configure != nil {
		configure(opts)
	}
	opts.Etcd.Servers = []string{etcdURL}
	cp, err := inprocess.StartWith(ctx, opts)
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

// runServer runs the server until the test ends. Then it stops the server
// and the control plane together: each spends most of its shutdown waiting
// on its own connections to drain, so one after the other costs twice that.
func runServer(t testing.TB, server *extension.Server, cp *inprocess.ControlPlane) *runningServer {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningServer{exited: make(chan struct{})}
	go func() {
		defer close(r.exited)
		r.err = server.Run(ctx)
	}()
	t.Cleanup(func() {
		began := time.Now()
		cancel()
		cpStopped := make(chan struct{})
		go func() {
			defer close(cpStopped)
			_ = cp.Stop() // its own cleanup, next, reports the error
		}()
		<-r.exited
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			t.Errorf("server %s: %v", server.Group(), r.err)
		}
		serverStopped := time.Since(began)
		<-cpStopped
		t.Logf("aggtest: server stopped after %s, control plane after %s", serverStopped.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	})
	return r
}
