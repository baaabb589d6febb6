package backend

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/aggregator/backend/backendtest"
)

// TestStreamWindowHoldsBackBackend: when nobody reads a proxied response
// (its client stalled), the backend may send only one stream window ahead,
// so the aggregator never buffers more than that per stream; the rest
// waits in the backend. Several stalled streams on one connection must
// not stop another stream on it either.
func TestStreamWindowHoldsBackBackend(t *testing.T) {
	servingCA := backendtest.NewCA(t, "serving-ca")
	const size = 16 << 20
	chunk := []byte(strings.Repeat("x", 16<<10))
	var sent atomic.Int64
	backend := backendtest.StartBackend(t, servingCA, serverName, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/big" {
			w.Write([]byte("ok"))
			return
		}
		for n := 0; n < size; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			sent.Add(int64(len(chunk)))
		}
	}))
	transport, err := NewTransports(nil).For(backendtest.APIService("wardle.example.com", "v1", "wardle", "api", servingCA.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const stalled = 8
	for range stalled {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+backend.Address+"/big", nil)
		resp, err := transport.RoundTripper.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 2 {
			t.Fatalf("%s, want HTTP/2", resp.Proto)
		}
		defer resp.Body.Close() // never read
	}
	// Wait until the backend can send no more.
	last, steady := int64(-1), 0
	for deadline := time.Now().Add(time.Minute); steady < 5 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if now := sent.Load(); now == last {
			steady++
		} else {
			last, steady = now, 0
		}
	}
	perStream := sent.Load() / stalled
	t.Logf("backend sent %d KiB per unread stream (window %d KiB)", perStream>>10, streamReceiveWindow>>10)
	if perStream > 2*streamReceiveWindow {
		t.Errorf("the backend sent %d KiB per stream nobody read; the window is %d KiB", perStream>>10, streamReceiveWindow>>10)
	}
	if got, err := get(t, transport.RoundTripper, backend.Address); err != nil || got != "ok" {
		t.Errorf("another request on the connection with %d stalled streams: %q, %v", stalled, got, err)
	}
}
