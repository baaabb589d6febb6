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
)

// RunLocal is an `aggkit run local` process started by a test.
type RunLocal struct {
	t      testing.TB
	cmd    *exec.Cmd
	output *SyncBuffer
	exited chan struct{}
	err    error
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
	r := &RunLocal{t: t, output: &SyncBuffer{}, exited: make(chan struct{})}
	r.cmd = exec.Command(bins.Aggkit, "run", "local", "--dir", dir, "--state-dir", stateDir, "--port", strconv.Itoa(port))
	r.cmd.Stdout, r.cmd.Stderr = r.output, r.output
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		if _, err := r.Interrupt(30 * time.Second); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("aggkit run local output:\n%s\nserver log (end):\n%s", r.Output(), tail(readFile(filepath.Join(stateDir, "server.log")), 3000))
		}
	})

	deadline := time.After(timeout)
	for {
		if m := exportLine.FindStringSubmatch(r.Output()); m != nil {
			r.Kubeconfig = m[1]
			break
		}
		select {
		case <-r.exited:
			t.Fatalf("aggkit run local exited before Available (%v):\n%s", r.err, r.Output())
		case <-deadline:
			t.Fatalf("aggkit run local not Available within %s:\n%s", timeout, r.Output())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if m := availableLine.FindStringSubmatch(r.Output()); m != nil {
		r.Available, _ = time.ParseDuration(m[1])
	}
	return r
}

// Output is everything the command printed so far.
func (r *RunLocal) Output() string { return r.output.String() }

// Interrupt sends SIGINT, as Ctrl-C does, and waits up to grace for the
// command to exit. It returns how long that took, and an error if the
// command did not exit, or exited with a non-zero status.
func (r *RunLocal) Interrupt(grace time.Duration) (time.Duration, error) {
	start := time.Now()
	select {
	case <-r.exited:
		return 0, r.exitErr()
	default:
	}
	_ = r.cmd.Process.Signal(os.Interrupt)
	select {
	case <-r.exited:
		return time.Since(start), r.exitErr()
	case <-time.After(grace):
		_ = r.cmd.Process.Kill()
		<-r.exited
		return time.Since(start), fmt.Errorf("aggkit run local still running %s after SIGINT; killed", grace)
	}
}

func (r *RunLocal) exitErr() error {
	var exit *exec.ExitError
	if errors.As(r.err, &exit) {
		return fmt.Errorf("aggkit run local exited with status %d:\n%s", exit.ExitCode(), r.Output())
	}
	return r.err
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
