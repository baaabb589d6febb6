package e2e

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestStalledProxiedReadsBounded: 200 proxied reads of a 16 MiB answer by
// clients that never read (HTTP/2, stream window zero). What aggkit holds
// for each is bounded by its HTTP/2 receive window toward the backend, so
// the backend is held back (backpressure) instead of aggkit buffering
// megabytes per stream. It prints aggkit's RSS before and after and what
// the backend managed to send per stream; it asserts only bounds far above
// what the window allows and far below the 4 MiB per stream of
// golang.org/x/net's default window.
func TestStalledProxiedReadsBounded(t *testing.T) {
	const conns, streamsPerConn = 10, 20
	const stalls = conns * streamsPerConn
	var sent atomic.Int64
	// Every stream must reach the backend: priority and fairness would
	// queue most of one user's 200 in her priority level.
	a, cfg := stallSetup(t, &sent, "--request-timeout=5m", "--enable-priority-and-fairness=false")
	const path = "/apis/big.example.com/v1/namespaces/default/things/big"

	// One full read first, so that pools and buffers exist before the
	// baseline.
	client := framework.HTTPClient(t, cfg)
	resp, err := client.Get(cfg.Host + path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != bigBackendSize {
		t.Fatalf("a full proxied read got %d of %d bytes: %v", n, bigBackendSize, err)
	}
	time.Sleep(2 * time.Second)
	rssBefore := rssBytes(t, a.Pid())
	sent.Store(0)

	for range conns {
		stallHTTP2(t, cfg, path, streamsPerConn)
	}
	// Wait until the backend can send no more.
	last, steady := int64(-1), 0
	for deadline := time.Now().Add(2 * time.Minute); steady < 3 && time.Now().Before(deadline); time.Sleep(time.Second) {
		if now := sent.Load(); now == last {
			steady++
		} else {
			last, steady = now, 0
		}
	}
	rssAfter := rssBytes(t, a.Pid())
	perStreamSent := sent.Load() / stalls
	perStreamRSS := (rssAfter - rssBefore) / stalls
	t.Logf("%d stalled proxied reads of %d MiB each:\n%-28s %d MiB\n%-28s %d MiB\n%-28s %d KiB\n%-28s %d KiB",
		stalls, bigBackendSize>>20,
		"aggkit RSS before", rssBefore>>20, "aggkit RSS with the stalls", rssAfter>>20,
		"RSS growth per stream", perStreamRSS>>10, "backend sent per stream", perStreamSent>>10)
	if perStreamSent > 1<<20 {
		t.Errorf("the backend sent %d KiB per stalled stream: aggkit took it without backpressure", perStreamSent>>10)
	}
	if perStreamRSS > 2<<20 {
		t.Errorf("aggkit grew by %d KiB per stalled stream", perStreamRSS>>10)
	}
}

// rssBytes is the resident set size of process pid.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb); err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}
