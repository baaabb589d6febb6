package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/pkg/childprocess"
)

// Aggkit is an `aggkit serve` process started by a test.
type Aggkit struct {
	t       testing.TB
	bin     string
	DataDir string
	Port    int
	args    []string
	proc    *childprocess.Process
	logPath string
	// portRetries counts restarts on a new port after a bind race.
	portRetries int
	// Kubeconfig is DataDir/admin.kubeconfig: a system:masters client.
	Kubeconfig string
}

// StartAggkit starts `aggkit serve` on a free loopback port with its data
// in dataDir (a new temporary directory when empty), waits until /readyz
// answers ok, and stops it when the test ends.
func StartAggkit(t testing.TB, dataDir string, extraArgs ...string) *Aggkit {
	t.Helper()
	bin, err := BuildPackage(AggkitPackage)
	if err != nil {
		t.Fatal(err)
	}
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	a := &Aggkit{t: t, bin: bin, DataDir: dataDir, Port: FreePort(t), args: extraArgs,
		Kubeconfig: filepath.Join(dataDir, "admin.kubeconfig")}
	a.Start()
	t.Cleanup(func() {
		a.Stop()
		if t.Failed() {
			t.Logf("aggkit serve log (last 4000 bytes):\n%s", tail(a.Log(), 4000))
		}
	})
	return a
}

// Start launches the process (again, after Stop) and waits until ready.
func (a *Aggkit) Start() {
	a.t.Helper()
	args := append([]string{"serve", "--data-dir", a.DataDir, "--secure-port", strconv.Itoa(a.Port)}, a.args...)
	a.logPath = filepath.Join(a.DataDir, fmt.Sprintf("aggkit-%d.log", time.Now().UnixNano()))
	var err error
	if a.proc, err = childprocess.Start(a.bin, args, a.logPath, 0); err != nil {
		a.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := a.proc.Until(ctx, "aggkit serve", 50*time.Millisecond, childprocess.KubeconfigReadyz(a.Kubeconfig, a.Port)); err != nil {
		a.Stop()
		if strings.Contains(a.Log(), "address already in use") && a.portRetries < 3 {
			// FreePort's port was taken between the check and the bind.
			a.portRetries++
			a.Port = FreePort(a.t)
			a.Start()
			return
		}
		a.t.Fatalf("aggkit serve did not become ready: %v\n%s", err, a.Log())
	}
}

// Stop ends the process gracefully (SIGINT, which aggkit serve takes as it
// takes SIGTERM), then forcefully.
func (a *Aggkit) Stop() {
	if a.proc != nil {
		_ = a.proc.Stop(30 * time.Second)
	}
}

// Pid is the process id of the running aggkit serve.
func (a *Aggkit) Pid() int { return a.proc.Pid() }

// Kill ends the process at once (SIGKILL), as a crash does: no shutdown
// hook runs, so nothing it holds (a Lease) is released. Start runs it again.
func (a *Aggkit) Kill() {
	if a.proc != nil {
		a.proc.Kill()
	}
}

// Log returns what the current process printed.
func (a *Aggkit) Log() string {
	data, _ := os.ReadFile(a.logPath)
	return string(data)
}

// RESTConfig is the admin client configuration.
func (a *Aggkit) RESTConfig() *rest.Config {
	a.t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", a.Kubeconfig)
	if err != nil {
		a.t.Fatal(err)
	}
	return cfg
}

// Client is an admin clientset.
func (a *Aggkit) Client() kubernetes.Interface {
	return kubernetes.NewForConfigOrDie(a.RESTConfig())
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := childprocess.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
