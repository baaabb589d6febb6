package availability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// The identity kube-aggregator probes with; backends must authorize it, and
// the same names travel with proxied requests' front-proxy headers.
const (
	probeUser  = "system:kube-aggregator"
	probeGroup = "system:masters"
)

// discoveryPath is the URL path every aggregated server must serve for its
// group/version: /api/<v> for the legacy group, /apis/<g>/<v> otherwise.
func discoveryPath(group, version string) string {
	if group == "" {
		return "/api/" + version
	}
	return "/apis/" + group + "/" + version
}

// addressFailure is why one address did not pass the probe.
type addressFailure struct {
	addr   string
	url    string
	status int   // non-2xx status, 0 when the request itself failed
	err    error // request error, nil when a status came back
	// timedOut is set when err is the probe timeout.
	timedOut bool
	// unreached is set when no connection could be made (see unreachable).
	unreached bool
}

func (f addressFailure) String() string {
	if f.err == nil {
		return fmt.Sprintf("bad status from %s: %d %s", f.url, f.status, http.StatusText(f.status))
	}
	return fmt.Sprintf("failing or missing response from %s: %v", f.url, stableCause(f.err))
}

// stableCause strips the transport's wording around a TLS alert from the
// backend, which varies with the moment the alert was read
// ("readLoopPeekFailLocked: ..."), so that the message stays the same.
func stableCause(err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		return opErr
	}
	return err
}

// probeError lists the failures of every address, in the resolver's order.
type probeError struct {
	failures []addressFailure
}

func (e *probeError) Error() string {
	parts := make([]string, len(e.failures))
	for i, f := range e.failures {
		parts[i] = f.String()
	}
	return strings.Join(parts, "; ")
}

// probe GETs path on every address in parallel through rt and succeeds as
// soon as one answers 2xx. Redirects count as failures: RoundTrip does not
// follow them, matching kube-aggregator's ErrUseLastResponse.
//
// Every request runs to completion within its own timeout, even after
// another address has passed: cancelling a slower but healthy request makes
// the backend log a handler timeout and count a request termination, which
// trips its operators' alerts (issue 9). Only ctx, the controller's
// lifetime, cuts them short.
//
// A request that fails without a response is tried once more through fresh,
// a round tripper that opens a new HTTP/1.1 connection: when the backend
// rejects the client certificate after a TLS 1.3 handshake, HTTP/2 reports
// only "client conn could not be established", while a fresh connection
// reports the real cause, which keeps the message, and so the stored
// status, stable and useful. A refused dial is not retried: nothing
// answered, and the retry would only double the cost of probing a dead
// address. fresh may be nil.
func probe(ctx context.Context, rt, fresh http.RoundTripper, addrs []string, path string, timeout time.Duration) error {
	if len(addrs) == 0 {
		return errors.New("the resolver returned no addresses to probe")
	}
	type result struct {
		index   int
		failure *addressFailure
	}
	// Buffered for every address, so probes still running after an early
	// return finish without anyone reading their result.
	results := make(chan result, len(addrs))
	for i, addr := range addrs {
		go func() {
			url := "https://" + addr + path
			failure := probeOne(ctx, rt, url, timeout)
			if failure != nil && failure.err != nil && !failure.timedOut && !failure.unreached && fresh != nil && ctx.Err() == nil {
				failure = probeOne(ctx, fresh, url, timeout)
			}
			if failure != nil {
				failure.addr = addr
			}
			results <- result{i, failure}
		}()
	}

	failures := make([]addressFailure, len(addrs))
	for range addrs {
		r := <-results
		if r.failure == nil {
			return nil
		}
		failures[r.index] = *r.failure
	}
	return &probeError{failures: failures}
}

// unreachable reports whether err means no connection was made at all
// (refused, no route, dial timeout): nothing listens at the address, so
// probing it again costs one dial and no work on any backend.
func unreachable(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// probeOne returns nil when url answered 2xx within timeout.
func probeOne(ctx context.Context, rt http.RoundTripper, url string, timeout time.Duration) *addressFailure {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &addressFailure{url: url, err: err}
	}
	req.Header.Set("X-Remote-User", probeUser)
	req.Header.Set("X-Remote-Group", probeGroup)
	req.Header.Set("Accept", "application/json")

	resp, err := rt.RoundTrip(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &addressFailure{url: url, err: fmt.Errorf("timed out after %v", timeout), timedOut: true}
		}
		return &addressFailure{url: url, err: err, unreached: unreachable(err)}
	}
	// Drain a little so the connection can be reused, then close.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &addressFailure{url: url, status: resp.StatusCode}
	}
	return nil
}
