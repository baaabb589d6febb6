package proxy

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// countingBackend answers "hello <name>" and counts requests.
type countingBackend struct {
	name string
	hits atomic.Int64
}

func (c *countingBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.hits.Add(1)
	body, _ := io.ReadAll(r.Body)
	_, _ = io.WriteString(w, c.name+" "+string(body))
}

func TestBackendKilledMidStream(t *testing.T) {
	h := newHarness(t, nil)
	first, second := &countingBackend{name: "first"}, &countingBackend{name: "second"}
	b1, b2 := h.startBackend(t, first), h.startBackend(t, second)
	h.route(t, b1.Address, b2.Address)
	h.register(nil)

	const workers, perWorker = 4, 40
	var done atomic.Int64
	var killOnce sync.Once
	var wg sync.WaitGroup
	errs := make(chan string, workers*perWorker)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				if done.Add(1) == workers*perWorker/3 {
					killOnce.Do(b1.Close) // graceful for requests in flight, refuses new ones
				}
				r, err := h.send(http.MethodGet, groupPath+"/flunders", nil, nil)
				if err != nil {
					errs <- err.Error()
				} else if r.code != http.StatusOK || !strings.HasPrefix(r.body, "first") && !strings.HasPrefix(r.body, "second") {
					errs <- r.body
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("request failed after a backend died: %s", e)
	}
	if first.hits.Load() == 0 || second.hits.Load() == 0 {
		t.Errorf("requests were not spread: first=%d second=%d", first.hits.Load(), second.hits.Load())
	}
}

// TestDialFailureRetriesAnyMethod: when no connection could be made nothing
// was sent, so even a POST goes on to the next address with its whole body.
func TestDialFailureRetriesAnyMethod(t *testing.T) {
	h := newHarness(t, nil)
	broken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = broken.Close() })
	var accepted atomic.Int64
	go func() { // accepts and hangs up: the TLS handshake fails
		for {
			conn, err := broken.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = conn.Close()
		}
	}()
	survivor := &countingBackend{name: "survivor"}
	b := h.startBackend(t, survivor)
	h.route(t, broken.Addr().String(), b.Address)
	h.register(nil)
	for range 4 { // round robin starts on the broken address at least once
		r := h.do(t, http.MethodPost, groupPath+"/flunders", strings.NewReader("payload"), nil)
		if r.code != http.StatusOK || r.body != "survivor payload" {
			t.Fatalf("POST: %d %q", r.code, r.body)
		}
	}
	if accepted.Load() == 0 {
		t.Fatal("the broken address was never tried")
	}
}

func TestAllBackendsDown(t *testing.T) {
	h := newHarness(t, nil)
	b1, b2 := h.startBackend(t, hello), h.startBackend(t, hello)
	h.route(t, b1.Address, b2.Address)
	h.register(nil)
	b1.Close()
	b2.Close()
	for range 3 { // also once both addresses are backing off
		r := h.get(t, groupPath)
		if r.code != http.StatusServiceUnavailable || r.status == nil || r.status.Reason != metav1.StatusReasonServiceUnavailable {
			t.Fatalf("got %d %s; want a 503 ServiceUnavailable Status", r.code, r.body)
		}
		if !strings.Contains(r.status.Message, apiName) || !strings.Contains(r.status.Message, "connect to backend") {
			t.Errorf("message %q does not name the APIService and the last error", r.status.Message)
		}
	}
}

// abortingBackend reads the body, counts, and kills the stream without an
// answer, as a backend crashing mid-request does.
type abortingBackend struct{ hits *atomic.Int64 }

func (a abortingBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.ReadAll(r.Body)
	a.hits.Add(1)
	panic(http.ErrAbortHandler)
}

// TestRetryOnlyWhenSafe: once a request reached a backend, only read-only
// methods are sent to another address.
func TestRetryOnlyWhenSafe(t *testing.T) {
	tests := []struct {
		method   string
		body     string
		wantHits int64
	}{
		{method: http.MethodGet, wantHits: 2},
		{method: http.MethodPost, body: "create me", wantHits: 1},
		{method: http.MethodDelete, wantHits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			h := newHarness(t, nil)
			var hits atomic.Int64
			b1, b2 := h.startBackend(t, abortingBackend{&hits}), h.startBackend(t, abortingBackend{&hits})
			h.route(t, b1.Address, b2.Address)
			h.register(nil)
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := h.do(t, tt.method, groupPath+"/flunders", body, nil)
			if r.code != http.StatusServiceUnavailable {
				t.Fatalf("got %d %s; want 503", r.code, r.body)
			}
			if got := hits.Load(); got != tt.wantHits {
				t.Fatalf("the request reached backends %d times; want %d", got, tt.wantHits)
			}
		})
	}
}

// TestFailureEvictsPooledConnections: a request failing on an address drops
// the pooled connections to it, without waiting for a failed probe
// (kubernetes#141318).
func TestFailureEvictsPooledConnections(t *testing.T) {
	h := newHarness(t, nil)
	var failNext atomic.Bool
	b := h.startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failNext.CompareAndSwap(true, false) {
			panic(http.ErrAbortHandler) // resets the stream, keeps the connection
		}
		_, _ = io.WriteString(w, "hello")
	}))
	h.route(t, b.Address)
	h.register(nil)
	for range 8 { // warm every pooled connection
		if r := h.get(t, groupPath); r.code != http.StatusOK {
			t.Fatalf("warm-up: %d %s", r.code, r.body)
		}
	}
	warm := b.Connections.Load()
	failNext.Store(true)
	if r := h.get(t, groupPath); r.code != http.StatusServiceUnavailable {
		t.Fatalf("failing request: %d %s; want 503", r.code, r.body)
	}
	if r := h.get(t, groupPath); r.code != http.StatusOK {
		t.Fatalf("after the failure: %d %s", r.code, r.body)
	}
	if got := b.Connections.Load(); got <= warm {
		t.Fatalf("the request after a failure reused a pooled connection (%d connections, %d before)", got, warm)
	}
}
