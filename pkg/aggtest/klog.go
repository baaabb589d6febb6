package aggtest

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
)

// Both servers log through klog, which is process-wide. Start sends it, once
// per process, to the tests that have an environment running, through t.Log:
// quiet by default, shown with -v or when the test fails. While several
// environments run side by side, each test's log holds every server's lines.
var testLogs = &logRouter{}

var routeKlogOnce sync.Once

// routeKlog makes t's log receive klog's lines until t ends.
func routeKlog(t testing.TB) {
	routeKlogOnce.Do(func() {
		// klog's own -v (default 0) decides what is logged; the text
		// logger only formats, so it lets every level through.
		klog.SetLogger(textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(testLogs), textlogger.Verbosity(100))))
	})
	testLogs.add(t)
	t.Cleanup(func() { testLogs.remove(t) })
}

// logRouter writes each line to every test in tests.
type logRouter struct {
	mu    sync.Mutex
	tests []testing.TB
}

func (r *logRouter) add(t testing.TB) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tests = append(r.tests, t)
}

// remove stops writing to t; it holds the lock, so no line reaches t after
// it returns (t.Log after a test ends panics).
func (r *logRouter) remove(t testing.TB) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.tests {
		if x == t {
			r.tests = append(r.tests[:i], r.tests[i+1:]...)
			return
		}
	}
}

func (r *logRouter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.tests) == 0 {
		// No environment runs: a late line of a stopped server is noise,
		// but a warning or an error of anything else must not vanish.
		if len(p) > 0 && p[0] != 'I' {
			os.Stderr.Write(p)
		}
		return len(p), nil
	}
	line := string(bytes.TrimRight(p, "\n"))
	for _, t := range r.tests {
		t.Log(line)
	}
	return len(p), nil
}
