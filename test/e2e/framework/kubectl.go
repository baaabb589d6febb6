package framework

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Kubectl runs the real kubectl against one kubeconfig.
type Kubectl struct {
	t          testing.TB
	bin        string
	Kubeconfig string
	cacheDir   string
}

// NewKubectl returns a kubectl bound to kubeconfig.
func NewKubectl(t testing.TB, kubeconfig string) *Kubectl {
	t.Helper()
	bin, err := BuildPackage(KubectlPackage)
	if err != nil {
		t.Fatal(err)
	}
	return &Kubectl{t: t, bin: bin, Kubeconfig: kubeconfig, cacheDir: t.TempDir()}
}

// command builds a kubectl invocation. Each Kubectl has its own discovery
// cache: kubectl keys it by host:port, and a port reused by a later server
// would otherwise serve it stale discovery.
func (k *Kubectl) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, k.bin, append([]string{"--kubeconfig", k.Kubeconfig, "--cache-dir", k.cacheDir}, args...)...)
	return cmd
}

// Run runs kubectl with args and stdin, returning stdout and, on failure,
// an error carrying stderr.
func (k *Kubectl) Run(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := k.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// MustRun is Run that fails the test on error.
func (k *Kubectl) MustRun(args ...string) string {
	k.t.Helper()
	out, err := k.Run("", args...)
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// Apply pipes a manifest into `kubectl apply -f -` with extra args.
func (k *Kubectl) Apply(manifest string, args ...string) string {
	k.t.Helper()
	out, err := k.Run(manifest, append([]string{"apply", "-f", "-"}, args...)...)
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// Start runs kubectl in the background (for `get -w`); the caller reads
// Output and stops it with the returned cancel.
func (k *Kubectl) Start(args ...string) (output *SyncBuffer, cancel func()) {
	k.t.Helper()
	ctx, cancelCtx := context.WithCancel(context.Background())
	cmd := k.command(ctx, args...)
	output = &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return output, func() { cancelCtx(); <-done }
}

// NewKubectlAt is NewKubectl with another kubectl binary, such as an older
// release built by BuildKubectlVersion.
func NewKubectlAt(t testing.TB, bin, kubeconfig string) *Kubectl {
	return &Kubectl{t: t, bin: bin, Kubeconfig: kubeconfig, cacheDir: t.TempDir()}
}
