package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/backend/backendtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/endpoints/request"
)

// failing lists the addresses the APIService's balancer keeps out.
func (h *harness) failing() []string {
	h.handler.mu.RLock()
	b := h.handler.apiServices[apiName].balancer
	h.handler.mu.RUnlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	var addrs []string
	for addr := range b.failing {
		addrs = append(addrs, addr)
	}
	return addrs
}

// connections is how many connections each backend has accepted so far.
func connections(backends []*backendtest.Backend) []int64 {
	var counts []int64
	for _, b := range backends {
		counts = append(counts, b.Connections.Load())
	}
	return counts
}

// TestOversizedHeadersDoNotEjectBackends: a request with headers larger
// than the backends accept (a 900 KiB path) fails with a 4xx, and costs the
// backends nothing: no address is marked failing, no pooled connection is
// dropped, and it is not retried on the other address.
func TestOversizedHeadersDoNotEjectBackends(t *testing.T) {
	for _, http2 := range []bool{true, false} {
		t.Run(fmt.Sprintf("http2=%v", http2), func(t *testing.T) {
			h := newHarness(t, nil)
			var hits [2]atomic.Int64
			var backends []*backendtest.Backend
			for i := range 2 {
				handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hits[i].Add(1)
					_, _ = io.WriteString(w, "hello")
				})
				backends = append(backends, backendtest.StartConfiguredBackend(t, h.servingCA, serverName, h.clientCA.Pool(), handler,
					func(s *httptest.Server) {
						s.EnableHTTP2 = http2
						s.Config.MaxHeaderBytes = 4 << 10
					}))
			}
			h.route(t, backends[0].Address, backends[1].Address)
			h.register(nil)
			for range 16 { // every pool of both addresses has a connection
				if r := h.get(t, groupPath+"/flunders"); r.code != http.StatusOK {
					t.Fatalf("warm-up: %d %s", r.code, r.body)
				}
			}
			before, hitsBefore := connections(backends), hits[0].Load()+hits[1].Load()

			huge := groupPath + "/" + strings.Repeat("a", 900<<10)
			r := h.get(t, huge)
			switch {
			case r.code < 400 || r.code >= 500:
				t.Fatalf("oversized request: %d %.200s; want a 4xx", r.code, r.body)
			case r.status != nil && r.status.Reason != metav1.StatusReasonBadRequest:
				t.Errorf("oversized request: Status reason %q; want %q", r.status.Reason, metav1.StatusReasonBadRequest)
			case r.status == nil && (http2 || r.code != http.StatusRequestHeaderFieldsTooLarge):
				// Only the backend's own 431 passes through as it is.
				t.Errorf("oversized request: %d %.200q is not a Status", r.code, r.body)
			}
			if got := hits[0].Load() + hits[1].Load(); got != hitsBefore {
				t.Errorf("a handler saw the oversized request: %d requests served, %d before", got, hitsBefore)
			}
			if failing := h.failing(); len(failing) > 0 {
				t.Errorf("addresses marked failing after an oversized request: %v", failing)
			}
			for range 16 {
				if r := h.get(t, groupPath+"/flunders"); r.code != http.StatusOK {
					t.Fatalf("after the oversized request: %d %s", r.code, r.body)
				}
			}
			after := connections(backends)
			// HTTP/2 sends nothing: every connection stays. An HTTP/1.1
			// backend closes the one that carried the request after its
			// 431; dropping an address's pools would cost them all.
			allowed := int64(0)
			if !http2 {
				allowed = 1
			}
			if opened := after[0] - before[0] + after[1] - before[1]; opened > allowed {
				t.Errorf("%d connections opened after the oversized request (%v, before %v); want at most %d: pooled connections were dropped",
					opened, after, before, allowed)
			}
			t.Logf("http2=%v: oversized request answered %d; connections before %v, after %v", http2, r.code, before, after)
		})
	}
}

// TestClientBodyErrorDoesNotEjectBackends: a body the client fails to
// deliver (here, longer than the front allows) fails the request with the
// client's error, not the backend's.
func TestClientBodyErrorDoesNotEjectBackends(t *testing.T) {
	h := newHarness(t, nil)
	b1, b2 := h.startBackend(t, &countingBackend{name: "first"}), h.startBackend(t, &countingBackend{name: "second"})
	h.route(t, b1.Address, b2.Address)
	h.register(nil)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
		h.handler.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), h.user)))
	}))
	t.Cleanup(front.Close)
	post := func(size int) (int, string) {
		t.Helper()
		resp, err := front.Client().Post(front.URL+groupPath+"/flunders", "application/json", strings.NewReader(strings.Repeat("x", size)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for range 8 {
		if code, body := post(10); code != http.StatusOK {
			t.Fatalf("warm-up: %d %s", code, body)
		}
	}
	before := connections([]*backendtest.Backend{b1, b2})
	for range 4 { // both addresses lead at least once
		if code, body := post(64 << 10); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"kind":"Status"`) {
			t.Fatalf("oversized body: %d %.300s; want a 413 Status", code, body)
		}
	}
	if failing := h.failing(); len(failing) > 0 {
		t.Errorf("addresses marked failing after client body errors: %v", failing)
	}
	for range 8 {
		if code, body := post(10); code != http.StatusOK {
			t.Fatalf("afterwards: %d %s", code, body)
		}
	}
	if after := connections([]*backendtest.Backend{b1, b2}); after[0] != before[0] || after[1] != before[1] {
		t.Errorf("connections %v after client body errors, %v before: pooled connections were dropped", after, before)
	}
}

func TestBlameRequest(t *testing.T) {
	small, _ := http.NewRequest(http.MethodGet, "https://10.0.0.1/apis/g/v/foos", nil)
	large, _ := http.NewRequest(http.MethodGet, "https://10.0.0.1/apis/g/v/"+strings.Repeat("a", largeRequestHeaderBytes), nil)
	reset := &url.Error{Op: "Get", URL: "https://10.0.0.1", Err: errors.New("net/http: HTTP/1.x transport connection broken: write: connection reset by peer")}
	readFailed := newReplayGuard(io.NopCloser(io.MultiReader(strings.NewReader("x"), iotest.ErrReader(errors.New("client hung up")))))
	_, _ = io.ReadAll(readFailed.reader())
	tests := []struct {
		name     string
		err      error
		req      *http.Request
		body     *replayGuard
		wantCode int32 // 0: the backend is to blame
	}{
		{name: "reset on a small request", err: reset, req: small},
		{name: "reset on a large request", err: reset, req: large, wantCode: http.StatusRequestHeaderFieldsTooLarge},
		{name: "HTTP/2 header list over the backend's limit", err: errors.New("http2: " + h2HeaderListTooLarge), req: small, wantCode: http.StatusRequestHeaderFieldsTooLarge},
		{name: "HTTP/2 stream reset on a large request", err: errors.New("stream error: stream ID 3; INTERNAL_ERROR; received from peer"), req: large},
		{name: "dial error on a large request", err: &backend.DialError{Address: "10.0.0.1:443", Err: errors.New("connection refused")}, req: large},
		{name: "client body read error", err: context.Canceled, req: small, body: readFailed, wantCode: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == nil {
				body = newReplayGuard(nil)
			}
			blamed := blameRequest(tt.err, tt.req, body)
			switch {
			case tt.wantCode == 0 && blamed != nil:
				t.Fatalf("blamed the request (%v); want the backend blamed", blamed.status)
			case tt.wantCode != 0 && blamed == nil:
				t.Fatalf("blamed the backend; want a %d for the request", tt.wantCode)
			case blamed != nil && blamed.status.ErrStatus.Code != tt.wantCode:
				t.Fatalf("answer %d; want %d", blamed.status.ErrStatus.Code, tt.wantCode)
			}
		})
	}
}

// codeRecorder remembers the status code a handler wrote.
type codeRecorder struct {
	http.ResponseWriter
	code int
}

func (c *codeRecorder) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codeRecorder) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	return c.ResponseWriter.Write(p)
}

func (c *codeRecorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// TestClientGoneIsNotABackendFailure: a client hanging up while the
// backend works is logged as 499, not as the backend's 503, and the
// address stays in rotation.
func TestClientGoneIsNotABackendFailure(t *testing.T) {
	h := newHarness(t, nil)
	arrived := make(chan struct{}, 1)
	b := h.startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	h.route(t, b.Address)
	h.register(nil)
	codes := make(chan int, 1)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &codeRecorder{ResponseWriter: w}
		h.handler.ServeHTTP(rec, r.WithContext(request.WithUser(r.Context(), h.user)))
		codes <- rec.code
	}))
	t.Cleanup(front.Close)

	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, front.URL+groupPath+"/flunders", nil)
	go func() {
		if resp, err := front.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	guardTimer := time.NewTimer(guard)
	defer guardTimer.Stop()
	select {
	case <-arrived:
	case <-guardTimer.C:
		t.Fatal("the request never reached the backend")
	}
	hangUp()
	select {
	case code := <-codes:
		if code != statusClientClosedRequest {
			t.Errorf("the proxy wrote %d for a client that left; want %d", code, statusClientClosedRequest)
		}
	case <-guardTimer.C:
		t.Fatal("the proxy did not return after the client left")
	}
	if failing := h.failing(); len(failing) > 0 {
		t.Errorf("addresses marked failing after a client left: %v", failing)
	}
}
