package proxy

import (
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
)

// attempts is the http.RoundTripper of one proxied request: it tries the
// resolved addresses in the balancer's order until one answers or a retry
// would not be safe.
type attempts struct {
	addrs     []string
	max       int
	balancer  *balancer
	transport *backend.Transport
	roundTrip http.RoundTripper // the transport's pooled or upgrade round tripper
	tried     int
	metrics   *apiServiceMetrics
	// guard and first are the request's body guard and first attempt,
	// kept here to save allocations; attempts is never reused.
	guard replayGuard
	first attemptRequest
}

func (a *attempts) RoundTrip(out *http.Request) (*http.Response, error) {
	a.guard.body = out.Body
	body := &a.guard
	var last error
	start := time.Now()
	for _, addr := range a.balancer.order(a.addrs) {
		if a.tried == a.max {
			break
		}
		a.tried++
		if a.tried > 1 {
			a.metrics.retries.Inc()
		}
		next := &a.first
		if a.tried > 1 {
			next = new(attemptRequest)
		}
		resp, err := a.roundTrip.RoundTrip(next.of(out, addr, body))
		if err == nil {
			a.balancer.succeeded(addr)
			a.metrics.headers(start)
			return resp, nil
		}
		if ctxErr := out.Context().Err(); ctxErr != nil {
			// The client left or the request timed out: not the backend's fault.
			return nil, err
		}
		if blamed := blameRequest(err, out, body); blamed != nil {
			return nil, blamed
		}
		last = err
		if a.balancer.failed(addr, err) {
			a.metrics.ejections.Inc()
		}
		// A failed connection usually means the others to that address are
		// stale too (backend restarted, pod gone); do not wait for a probe.
		a.transport.CloseIdleConnections(addr)
		if !retryable(out.Method, err, body) {
			break
		}
	}
	return nil, &noBackendError{attempts: a.tried, last: last}
}

// attemptRequest is out sent to one address. A shallow copy is enough:
// RoundTrippers must not modify requests, so the attempts can share out's
// headers, and only the URL and the body differ.
type attemptRequest struct {
	req http.Request
	url url.URL
}

func (a *attemptRequest) of(out *http.Request, addr string, body *replayGuard) *http.Request {
	a.req = *out
	a.url = *out.URL
	a.url.Host = addr
	a.req.URL = &a.url
	a.req.Body = body.reader()
	return &a.req
}

// retryable reports whether the request may be sent again elsewhere: always
// when the connection was never established, otherwise only for read-only
// methods whose body, if any, was not consumed.
func retryable(method string, err error, body *replayGuard) bool {
	if body.consumed() {
		return false
	}
	if backend.IsDialError(err) {
		return true
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// replayGuard lets one request body be offered to several attempts as long
// as none of them read from it. Close is a no-op because net/http closes a
// request body even when it failed before sending it; the server closes the
// real body when the handler returns.
type replayGuard struct {
	body io.ReadCloser
	read atomic.Bool
	// readErr is the first error reading the client's body, other than
	// io.EOF: the request failed because of the client, not the backend.
	readErr atomic.Pointer[error]
}

func newReplayGuard(body io.ReadCloser) *replayGuard {
	return &replayGuard{body: body}
}

func (g *replayGuard) reader() io.ReadCloser {
	if g.body == nil || g.body == http.NoBody {
		return g.body
	}
	return guardedBody{g}
}

func (g *replayGuard) consumed() bool { return g.read.Load() }

func (g *replayGuard) readError() error {
	if err := g.readErr.Load(); err != nil {
		return *err
	}
	return nil
}

type guardedBody struct{ g *replayGuard }

func (b guardedBody) Read(p []byte) (int, error) {
	b.g.read.Store(true)
	n, err := b.g.body.Read(p)
	if err != nil && err != io.EOF {
		b.g.readErr.CompareAndSwap(nil, &err)
	}
	return n, err
}

func (b guardedBody) Close() error { return nil }
