package childprocess

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play the child: `<test binary> child <how>`.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "child" {
		switch os.Args[2] {
		case "exit3":
			fmt.Println("failing on purpose")
			os.Exit(3)
		case "hang":
			// Only SIGKILL ends it.
			signal.Ignore(os.Interrupt)
			fmt.Println("hanging")
			time.Sleep(time.Hour)
		}
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// startChild runs this test binary as a child that behaves as how says.
func startChild(t *testing.T, how string) (*Process, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "child.log")
	p, err := Start(self, []string{"child", how}, logPath, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p, logPath
}

func TestUntilGivesUpWhenTheChildExits(t *testing.T) {
	p, logPath := startChild(t, "exit3")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := p.Until(ctx, "the child", 10*time.Millisecond, func(context.Context) error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), "the child stopped before it was ready: exited with status 3") {
		t.Fatalf("err %v, want the exit status", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Until waited for its deadline rather than for the exit")
	}
	if got := p.Tail("> "); got != "> failing on purpose\n" {
		t.Errorf("tail %q", got)
	}
	if data, _ := os.ReadFile(logPath); string(data) != "failing on purpose\n" {
		t.Errorf("log file %q", data)
	}
}

func TestStopKillsAChildThatIgnoresInterrupts(t *testing.T) {
	p, _ := startChild(t, "hang")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Until it prints, it may not ignore SIGINT yet.
	if err := p.Until(ctx, "the child", 10*time.Millisecond, func(context.Context) error {
		if !strings.Contains(p.Tail(""), "hanging") {
			return errors.New("not started")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(100 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop: %v, want that it had to kill", err)
	}
	if got := p.ExitReason(); got != "killed by killed" {
		t.Errorf("exit reason %q", got)
	}
}

func TestKillEndsTheChildAtOnce(t *testing.T) {
	p, _ := startChild(t, "hang")
	p.Kill()
	select {
	case <-p.Exited():
	default:
		t.Fatal("Kill returned before the child was gone")
	}
	if got := p.ExitReason(); got != "killed by killed" {
		t.Errorf("exit reason %q", got)
	}
	p.Kill() // a second Kill is harmless
}

func TestUntilRetriesUntilTheCheckPasses(t *testing.T) {
	calls := 0
	err := Until(context.Background(), "server", time.Millisecond, nil, nil, func(context.Context) error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("err %v after %d calls, want nil after 3", err, calls)
	}
}

func TestUntilEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	err := Until(ctx, "server", time.Millisecond, nil, nil, func(context.Context) error {
		cancel()
		return errors.New("connection refused")
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "server not ready") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err %v, want the context's end and the last check's error", err)
	}
}
