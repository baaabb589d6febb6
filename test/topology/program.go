package topology

import (
	"fmt"
	"log"
	"os"
	"sync"
	"testing"
)

// Program is the testing.TB a command (bench/soak) hands to Start and the
// e2e framework, which need only logging, failing, temporary folders and
// cleanups: it logs to stderr, and a fatal error stops every process
// started so far and exits. Other testing.TB methods are not supported.
type Program struct {
	testing.TB // nil; satisfies the interface's unexported method

	mu       sync.Mutex
	root     string
	cleanups []func()
	failed   bool
	closed   bool
}

// NewProgram makes a Program whose temporary folders live under one root,
// removed by Close.
func NewProgram(name string) (*Program, error) {
	root, err := os.MkdirTemp("", name+"-")
	if err != nil {
		return nil, err
	}
	return &Program{root: root}, nil
}

func (p *Program) Helper()      {}
func (p *Program) Name() string { return "program" }

func (p *Program) Log(args ...any)                 { log.Print(args...) }
func (p *Program) Logf(format string, args ...any) { log.Printf(format, args...) }

func (p *Program) Error(args ...any) { p.Log(args...); p.Fail() }
func (p *Program) Errorf(format string, args ...any) {
	p.Logf(format, args...)
	p.Fail()
}

func (p *Program) Fatal(args ...any) { p.Log(args...); p.FailNow() }
func (p *Program) Fatalf(format string, args ...any) {
	p.Logf(format, args...)
	p.FailNow()
}

func (p *Program) Fail() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = true
}

func (p *Program) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// FailNow stops what was started and exits: a command has no test runner
// to unwind to.
func (p *Program) FailNow() {
	p.Close()
	os.Exit(1)
}

func (p *Program) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

func (p *Program) TempDir() string {
	dir, err := os.MkdirTemp(p.root, "")
	if err != nil {
		p.Fatal(fmt.Errorf("temporary folder: %w", err))
	}
	return dir
}

// Close runs the cleanups, last first, once, and removes the folders.
func (p *Program) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	cleanups := p.cleanups
	p.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	_ = os.RemoveAll(p.root)
}
