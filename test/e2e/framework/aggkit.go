package framework

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Aggkit is an `aggkit serve` process started by a test.
type Aggkit struct {
	t       testing.TB
	bin     string
	DataDir string
	Port    int
	args    []string
	cmd     *exec.Cmd
	exited  chan struct{}
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
	a.cmd = exec.Command(a.bin, args...)
	a.logPath = filepath.Join(a.DataDir, fmt.Sprintf("aggkit-%d.log", time.Now().UnixNano()))
	logFile, err := os.Create(a.logPath)
	if err != nil {
		a.t.Fatal(err)
	}
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	if err := a.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.exited = make(chan struct{})
	go func() {
		_ = a.cmd.Wait()
		logFile.Close()
		close(a.exited)
	}()
	if err := a.waitReady(90 * time.Second); err != nil {
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

// Stop ends the process gracefully (SIGTERM), then forcefully.
func (a *Aggkit) Stop() {
	if !a.running() {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(30 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.exited
	}
}

// running reports whether a started process has not exited yet.
func (a *Aggkit) running() bool {
	if a.cmd == nil || a.cmd.Process == nil {
		return false
	}
	select {
	case <-a.exited:
		return false
	default:
		return true
	}
}

// Pid is the process id of the running aggkit serve.
func (a *Aggkit) Pid() int { return a.cmd.Process.Pid }

// Kill ends the process at once (SIGKILL), as a crash does: no shutdown
// hook runs, so nothing it holds (a Lease) is released. Start runs it again.
func (a *Aggkit) Kill() {
	if !a.running() {
		return
	}
	_ = a.cmd.Process.Kill()
	<-a.exited
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

func (a *Aggkit) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		select {
		case <-a.exited:
			return fmt.Errorf("process exited")
		case <-ctx.Done():
			return fmt.Errorf("timed out: %v", last)
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := os.Stat(a.Kubeconfig); err != nil {
			last = err
			continue
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", a.Kubeconfig)
		if err != nil {
			last = err
			continue
		}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = fmt.Errorf("readyz: %v %s", err, body)
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
