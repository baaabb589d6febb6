package runlocal

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aggkit/aggkit/pkg/childprocess"
	"github.com/aggkit/aggkit/pkg/controlplane"
	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/extension"
	"github.com/aggkit/aggkit/pkg/project"
	"github.com/aggkit/aggkit/pkg/projectbuild"
)

// Options configure Run.
type Options struct {
	// Dir is the project folder.
	Dir string
	// StateDir keeps everything a later run reuses: controlplane/ (etcd,
	// PKI, admin.kubeconfig), pki/ (the server's serving CA), data/ (the
	// server's embedded etcd) and the logs. Default: <Dir>/.aggkit.
	StateDir string
	// Port is where the control plane listens on 127.0.0.1; it must be
	// free. Zero takes the port of this project's last run, or DefaultPort,
	// or a free port when that one is taken.
	Port int
	// Out receives progress lines and the export line.
	Out io.Writer
	// Ready, if set, is called once everything is Available, with the
	// admin kubeconfig path.
	Ready func(kubeconfig string)
}

// ControlPlaneLog is the file under the state directory where `aggkit run
// local` sends the control plane's klog output.
const ControlPlaneLog = "controlplane.log"

// ResolveStateDir returns the absolute state directory, created if missing.
func (o Options) ResolveStateDir() (string, error) {
	state := o.StateDir
	if state == "" {
		state = filepath.Join(o.Dir, ".aggkit")
	}
	state, err := filepath.Abs(state)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(state, 0o700); err != nil {
		return "", fmt.Errorf("state directory: %w", err)
	}
	return state, nil
}

// stopGrace is how long the server has to exit after SIGINT.
const stopGrace = 15 * time.Second

// Run builds the project, runs it behind a control plane until ctx ends,
// then stops both and returns nil. It returns an error if a step fails or
// the server exits by itself, showing the end of the server's log.
func Run(ctx context.Context, o Options) error {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	state, err := o.ResolveStateDir()
	if err != nil {
		return err
	}
	p, err := project.Load(dir)
	if err != nil {
		return err
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}

	// The port before the build, so that a taken --port fails at once.
	listener, err := listenControlPlane(state, o.Port, DefaultPort, out)
	if err != nil {
		return err
	}
	bin, err := projectbuild.Build(ctx, dir, out)
	if err != nil {
		listener.Close()
		return err
	}
	built := time.Now()

	r := &run{out: out, built: built, name: p.Name, state: state, bin: bin, listener: listener}
	return r.serve(ctx, o)
}

// run is one `run local` after the build.
type run struct {
	out   io.Writer
	built time.Time
	name  string
	state string
	bin   string

	listener net.Listener // the control plane's; serve opens one when nil
	cp       *inprocess.ControlPlane
	server   *childprocess.Process
}

func (r *run) step(format string, args ...any) {
	fmt.Fprintf(r.out, "==> "+format+" (%s)\n", append(args, time.Since(r.built).Round(10*time.Millisecond))...)
}

// indented is r.out for the lines of a step's details.
func (r *run) indented() io.Writer { return &indentWriter{w: r.out, indent: "    ", lineStart: true} }

func (r *run) serve(ctx context.Context, o Options) (err error) {
	listener := r.listener
	if listener == nil {
		if listener, err = listenControlPlane(r.state, o.Port, DefaultPort, r.out); err != nil {
			return err
		}
	}
	fmt.Fprintf(r.out, "==> starting the control plane on port %d (log: %s)\n", listener.Addr().(*net.TCPAddr).Port, filepath.Join(r.state, ControlPlaneLog))
	if r.cp, err = inprocess.Start(ctx, filepath.Join(r.state, "controlplane"), listener); err != nil {
		return err
	}
	defer func() {
		if stopErr := r.cp.Stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("control plane: %w", stopErr)
		}
	}()
	r.step("control plane ready at %s", r.cp.URL)

	namespace := r.name
	serving, err := deploy.LoadOrCreateServing(filepath.Join(r.state, "pki"), r.name, namespace, net.IPv4(127, 0, 0, 1))
	if err != nil {
		return err
	}
	kubeconfig := filepath.Join(r.state, "server.kubeconfig")
	if err := r.cp.Server.WriteClientKubeconfig(kubeconfig, controlplane.ServiceAccountCredentials(namespace, deploy.DefaultServiceAccount)); err != nil {
		return err
	}
	port, err := childprocess.FreePort()
	if err != nil {
		return err
	}
	// The server's identity first: it needs its RBAC to become ready. Its
	// versions are read from its discovery after, and its Endpoints are
	// written only then, so that the aggregator's probe, which an Endpoints
	// change triggers, finds it serving.
	local := deploy.Local{Name: r.name, Namespace: namespace, Address: "127.0.0.1", Port: port,
		CABundle: serving.CA.CertPEM(), ServiceAccount: deploy.DefaultServiceAccount}
	identity, _ := deploy.SplitRouting(deploy.LocalObjects(local))
	if err := deploy.Apply(ctx, r.cp.Admin, identity, io.Discard); err != nil {
		return fmt.Errorf("register %s: %w", r.name, err)
	}

	args := r.serverArgs(port, serving, kubeconfig)
	logPath := filepath.Join(r.state, "server.log")
	if r.server, err = childprocess.Start(r.bin, args, logPath, 20); err != nil {
		return err
	}
	defer func() {
		if stopErr := r.server.Stop(stopGrace); stopErr != nil && err == nil && ctx.Err() == nil {
			err = stopErr
		}
	}()
	fmt.Fprintf(r.out, "==> starting %s on 127.0.0.1:%d (log: %s)\n", relTo(r.bin), port, logPath)
	if err := r.register(ctx, local, serving); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return r.withLog(err)
	}
	fmt.Fprintf(r.out, "\nexport KUBECONFIG=%s\n\nPress Ctrl-C to stop.\n", r.cp.AdminKubeconfig)
	if o.Ready != nil {
		o.Ready(r.cp.AdminKubeconfig)
	}

	select {
	case <-ctx.Done():
		fmt.Fprintf(r.out, "==> stopping\n")
		return nil
	case <-r.server.Exited():
		return r.withLog(fmt.Errorf("server %s", r.server.ExitReason()))
	case <-r.cp.Done():
		return fmt.Errorf("control plane stopped: %w", r.cp.Stop())
	}
}

// register waits for the server, reads its group and versions, applies
// their APIServices and waits until they are Available.
func (r *run) register(ctx context.Context, local deploy.Local, serving *deploy.Serving) error {
	cfg, client, err := deploy.ServerClient(r.cp.Admin, serving.CA.CertPEM(), local.Port)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	// The server is ready once it has read the client CA from the control plane.
	if err := r.server.WaitReady(ctx, client, cfg.Host, "server"); err != nil {
		return err
	}
	if local.Group, local.Versions, err = servedGroup(ctx, client, cfg.Host); err != nil {
		return err
	}
	r.step("%s serving %s %s", r.name, local.Group, strings.Join(local.Versions, ", "))
	_, routing := deploy.SplitRouting(deploy.LocalObjects(local))
	if err := deploy.Apply(ctx, r.cp.Admin, routing, r.indented()); err != nil {
		return fmt.Errorf("register %s: %w", local.Group, err)
	}
	var names []string
	for _, v := range local.Versions {
		names = append(names, deploy.APIServiceName(local.Group, v))
	}
	waitCtx, stop := childprocess.UntilGone(ctx, r.server.Exited())
	defer stop()
	if err := deploy.WaitAvailable(waitCtx, r.cp.Admin, names, r.indented()); err != nil {
		select {
		case <-r.server.Exited():
			return fmt.Errorf("server %s", r.server.ExitReason())
		default:
			return err
		}
	}
	fmt.Fprintf(r.out, "==> Available %s after the build: %s\n", time.Since(r.built).Round(10*time.Millisecond), strings.Join(names, ", "))
	return nil
}

// serverArgs are the flags that make the binary serve this registration;
// every extension server takes them (extension.ServerFlags).
func (r *run) serverArgs(port int, serving *deploy.Serving, kubeconfig string) []string {
	flag := func(name string) string { return "--" + name }
	return []string{flag(extension.FlagSecurePort), strconv.Itoa(port), flag(extension.FlagBindAddress), "127.0.0.1",
		flag(extension.FlagTLSCertFile), serving.CertFile, flag(extension.FlagTLSPrivateKeyFile), serving.KeyFile,
		flag(extension.FlagKubeconfig), kubeconfig, flag(extension.FlagDataDir), filepath.Join(r.state, "data")}
}

// withLog adds the end of the server's log to err.
func (r *run) withLog(err error) error {
	if r.server == nil {
		return err
	}
	select {
	case <-r.server.Exited():
	case <-time.After(time.Second):
	}
	return fmt.Errorf("%w\nlast lines of the server's log:\n%s", err, r.server.Tail("  | "))
}

func relTo(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}
