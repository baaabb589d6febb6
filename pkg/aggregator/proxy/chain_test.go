package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapifilters "k8s.io/apiserver/pkg/endpoints/filters"
	"k8s.io/apiserver/pkg/endpoints/filters/impersonation"
	"k8s.io/apiserver/pkg/endpoints/request"
)

// requestInfoResolver is what the generic server builds for /api and /apis.
var requestInfoResolver = &request.RequestInfoFactory{
	APIPrefixes:          sets.NewString("api", "apis"),
	GrouplessAPIPrefixes: sets.NewString("api"),
}

// traceHeader carries a test's request number to the backend, so that what
// the front authorized and what the backend received can be paired.
const traceHeader = "X-Test-Trace"

// seen is one request as the front authorized it or as the backend got it.
type seen struct {
	Path, RawPath, RequestURI string
	Query                     url.Values
	Header                    http.Header
	Info                      request.RequestInfo
	User                      user.Info // the user authorized (front only)
}

// chainFront serves a harness's proxy behind the real filters that decide
// what a proxied request may do, in the order of the server's proxy chain
// (pkg/controlplane/handlerchain.go): RequestInfo, then impersonation, then
// authorization. The caller is authenticated as the harness's user. It
// records, by trace, each authorized request, and its backend records what
// reached it.
type chainFront struct {
	*httptest.Server
	// allowImpersonation is the authorizer's answer to "impersonate" checks;
	// every other request is allowed.
	allowImpersonation atomic.Bool

	mu         sync.Mutex
	authorized map[string]seen
	queries    map[string]url.Values // as the front parsed them, for RequestInfo
	received   map[string]seen
}

type traceKey struct{}

func newChainFront(t testing.TB, h *harness) *chainFront {
	t.Helper()
	c := &chainFront{authorized: map[string]seen{}, queries: map[string]url.Values{}, received: map[string]seen{}}
	authz := authorizer.AuthorizerFunc(func(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		if a.GetVerb() == "impersonate" {
			if c.allowImpersonation.Load() {
				return authorizer.DecisionAllow, "", nil
			}
			return authorizer.DecisionDeny, "impersonation denied", nil
		}
		info, _ := request.RequestInfoFrom(ctx)
		trace, _ := ctx.Value(traceKey{}).(string)
		c.mu.Lock()
		c.authorized[trace] = seen{Path: a.GetPath(), Info: *info, User: a.GetUser()}
		c.mu.Unlock()
		return authorizer.DecisionAllow, "", nil
	})
	var handler http.Handler = h.handler
	handler = genericapifilters.WithAuthorization(handler, authz, h.handler.cfg.Serializer)
	handler = impersonation.WithImpersonation(handler, authz, h.handler.cfg.Serializer)
	handler = genericapifilters.WithRequestInfo(handler, requestInfoResolver)
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trace := r.Header.Get(traceHeader)
		c.mu.Lock()
		c.queries[trace] = r.URL.Query()
		c.mu.Unlock()
		ctx := request.WithUser(r.Context(), h.user)
		ctx = context.WithValue(ctx, traceKey{}, trace)
		handler.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(c.Close)
	b := h.startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, err := requestInfoResolver.NewRequestInfo(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.received[r.Header.Get(traceHeader)] = seen{
			Path: r.URL.Path, RawPath: r.URL.RawPath, RequestURI: r.RequestURI,
			Query: r.URL.Query(), Header: r.Header.Clone(), Info: *info,
		}
		c.mu.Unlock()
		_, _ = io.WriteString(w, "received")
	}))
	h.route(t, b.Address)
	h.register(nil)
	return c
}

// take returns and forgets what the front authorized and the backend
// received for trace.
func (c *chainFront) take(trace string) (authorized, received *seen) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.authorized[trace]; ok {
		s.Query = c.queries[trace]
		authorized = &s
	}
	if s, ok := c.received[trace]; ok {
		received = &s
	}
	delete(c.authorized, trace)
	delete(c.queries, trace)
	delete(c.received, trace)
	return authorized, received
}

// sendRaw writes a GET for target with the given header lines, byte for
// byte as given (names in any case, duplicates kept), and returns the
// status code. Nothing on the way may normalise the request line.
func (c *chainFront) sendRaw(target string, headerLines ...string) (int, error) {
	conn, err := net.DialTimeout("tcp", c.Listener.Addr().String(), guard)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(guard))
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: front\r\nConnection: close\r\n", target)
	for _, line := range headerLines {
		req.WriteString(line + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// sameRequestInfo says how a and b differ, or "" when they do not.
func sameRequestInfo(a, b request.RequestInfo) string {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	if string(x) == string(y) {
		return ""
	}
	return fmt.Sprintf("%s\n  vs %s", x, y)
}
