package childprocess

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a server binary running as a child of this one.
type Process struct {
	cmd    *exec.Cmd
	tail   *tailWriter
	exited chan struct{}
	err    error // valid once exited is closed
}

// Start starts bin with args, its stdout and stderr going to logPath
// (truncated; none when empty) and to an in-memory tail of tailLines lines
// for error reports (none when 0).
func Start(bin string, args []string, logPath string, tailLines int) (*Process, error) {
	p := &Process{cmd: exec.Command(bin, args...), tail: &tailWriter{max: tailLines}, exited: make(chan struct{})}
	var out io.Writer = p.tail
	var logFile *os.File
	if logPath != "" {
		var err error
		if logFile, err = os.Create(logPath); err != nil {
			return nil, fmt.Errorf("server log: %w", err)
		}
		out = io.MultiWriter(logFile, p.tail)
	}
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = childAttr()
	if err := p.cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		defer close(p.exited)
		p.err = p.cmd.Wait()
		if logFile != nil {
			logFile.Close()
		}
	}()
	return p, nil
}

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the child has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Tail returns the last lines of the child's output, each prefixed for
// display.
func (p *Process) Tail(prefix string) string { return p.tail.String(prefix) }

// Stop asks the server to shut down (SIGINT, as Ctrl-C would) and kills it
// if it has not exited within grace.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("server did not stop within %s after SIGINT; killed", grace)
	}
}

// Kill ends the child at once (SIGKILL), as a crash would: it runs no
// shutdown code. It returns once the child is gone.
func (p *Process) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// ExitReason says how the process ended, once it has.
func (p *Process) ExitReason() string {
	if p.err == nil {
		return "exited with status 0"
	}
	if exit, ok := p.err.(*exec.ExitError); ok {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with status %d", exit.ExitCode())
	}
	return p.err.Error()
}

// tailWriter keeps the last max lines written to it.
type tailWriter struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial string
}

func (w *tailWriter) Write(b []byte) (int, error) {
	if w.max <= 0 {
		return len(b), nil // no tail wanted: the log file has it all
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	parts := strings.Split(w.partial+string(b), "\n")
	w.partial = parts[len(parts)-1]
	w.lines = append(w.lines, parts[:len(parts)-1]...)
	if over := len(w.lines) - w.max; over > 0 {
		w.lines = append([]string(nil), w.lines[over:]...)
	}
	return len(b), nil
}

// String returns the kept lines, each prefixed for display.
func (w *tailWriter) String(prefix string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := w.lines
	if w.partial != "" {
		lines = append(lines[:len(lines):len(lines)], w.partial)
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}
