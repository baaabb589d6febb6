package framework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/childprocess"
)

// RunLocal is an `aggkit run local` process started by a test.
type RunLocal struct {
	t       testing.TB
	proc    *childprocess.Process
	outPath string
	// Kubeconfig is the path from the printed `export KUBECONFIG=` line.
	Kubeconfig string
	// Available is how long the run took from "built" to Available, as it
	// reported it.
	Available time.Duration
}

var (
	exportLine    = regexp.MustCompile(`(?m)^export KUBECONFIG=(\S+)$`)
	availableLine = regexp.MustCompile(`(?m)^==> Available (\S+) after the build`)
)

// StartRunLocal runs `aggkit run local` in the project at dir with its state
// in stateDir and the control plane on port, and returns once it has
// printed the export line (within timeout, which must cover the build). It
// is interrupted, if still running, when the test ends.
func StartRunLocal(t testing.TB, dir, stateDir string, port int, timeout time.Duration) *RunLocal {
	t.Helper()
	bins, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	r := &RunLocal{t: t, outPath: filepath.Join(t.TempDir(), "run-local.out")}
	r.proc, err = childprocess.Start(bins.Aggkit, []string{"run", "local", "--dir", dir, "--state-dir", stateDir, "--port", strconv.Itoa(port)}, r.outPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := r.Interrupt(30 * time.Second); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("aggkit run local output:\n%s\nserver log (end):\n%s", r.Output(), tail(readFile(filepath.Join(stateDir, "server.log")), 3000))
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = r.proc.Until(ctx, "aggkit run local", 100*time.Millisecond, func(context.Context) error {
		m := exportLine.FindStringSubmatch(r.Output())
		if m == nil {
			return errors.New("no export line yet")
		}
		r.Kubeconfig = m[1]
		return nil
	})
	if err != nil {
		t.Fatalf("%v (timeout %s):\n%s", err, timeout, r.Output())
	}
	if m := availableLine.FindStringSubmatch(r.Output()); m != nil {
		r.Available, _ = time.ParseDuration(m[1])
	}
	return r
}

// Output is everything the command printed so far.
func (r *RunLocal) Output() string { return readFile(r.outPath) }

// Interrupt sends SIGINT, as Ctrl-C does, and waits up to grace for the
// command to exit. It returns how long that took, and an error if the
// command did not exit, or exited with a non-zero status.
func (r *RunLocal) Interrupt(grace time.Duration) (time.Duration, error) {
	start := time.Now()
	select {
	case <-r.proc.Exited():
		return 0, r.exitErr(r.proc.Stop(grace))
	default:
	}
	err := r.proc.Stop(grace)
	return time.Since(start), r.exitErr(err)
}

func (r *RunLocal) exitErr(err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("aggkit run local exited with status %d:\n%s", exit.ExitCode(), r.Output())
	}
	if err != nil {
		return fmt.Errorf("aggkit run local: %w", err)
	}
	return nil
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

// CombinedOutput runs kubectl with args and returns stdout and stderr
// together, for messages kubectl prints on stderr ("No resources found").
func (k *Kubectl) CombinedOutput(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := k.command(ctx, args...).CombinedOutput()
	return string(out), err
}
