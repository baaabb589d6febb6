package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strings"
	"sync"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/endpoints/request"
	utilflowcontrol "k8s.io/apiserver/pkg/util/flowcontrol"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Handler proxies requests for remote APIServices to their backends. It
// finds the APIService from the request path (/apis/<group>/<version>[/...],
// or /api[/...] for "v1."), so one Handler serves them all. It is safe for
// concurrent use.
type Handler struct {
	cfg      Config
	identity identityHeaders
	buffers  *bufferPool
	// rewriteFn is h.rewrite, bound once rather than per request.
	rewriteFn func(*httputil.ProxyRequest)

	mu          sync.RWMutex
	apiServices map[string]*target
}

// target is what the handler knows about one APIService.
type target struct {
	apiService *apiregistrationv1.APIService
	// unavailable is why the Available condition is not True, or "".
	unavailable string
	balancer    *balancer
	metrics     *apiServiceMetrics
	hooks       proxyHooks
}

// NewHandler returns a Handler that proxies nothing until UpdateAPIService
// is called.
func NewHandler(cfg Config) *Handler {
	cfg = cfg.withDefaults()
	h := &Handler{cfg: cfg, identity: newIdentityHeaders(cfg), buffers: newBufferPool(), apiServices: map[string]*target{}}
	h.rewriteFn = h.rewrite
	return h
}

// UpdateAPIService starts or keeps proxying for a remote APIService, using
// its current spec and Available condition: while the condition is not True
// requests get 503. A local APIService (no spec.service) is removed instead,
// since its requests are served by this server and not proxied.
func (h *Handler) UpdateAPIService(apiService *apiregistrationv1.APIService) {
	if apiService.Spec.Service == nil {
		h.RemoveAPIService(apiService.Name)
		return
	}
	next := &target{apiService: apiService.DeepCopy(), unavailable: unavailableReason(apiService)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev, ok := h.apiServices[apiService.Name]; ok && sameService(prev.apiService.Spec.Service, apiService.Spec.Service) {
		next.balancer = prev.balancer // same Service: keep what we learnt about its addresses
	} else {
		next.balancer = newBalancer(apiService.Name)
	}
	if prev, ok := h.apiServices[apiService.Name]; ok {
		next.metrics, next.hooks = prev.metrics, prev.hooks
	} else {
		next.metrics = h.cfg.Metrics.forAPIService(apiService.Name)
		next.hooks = h.hooksFor(apiService.Name, next.metrics)
	}
	h.apiServices[apiService.Name] = next
}

// RemoveAPIService stops proxying for the named APIService and drops its
// transport.
func (h *Handler) RemoveAPIService(name string) {
	h.mu.Lock()
	_, ok := h.apiServices[name]
	delete(h.apiServices, name)
	h.mu.Unlock()
	if ok {
		h.cfg.Transports.Forget(name)
		h.cfg.Metrics.forget(name)
	}
}

func sameService(a, b *apiregistrationv1.ServiceReference) bool {
	return a.Namespace == b.Namespace && a.Name == b.Name && resolve.APIServicePort(a) == resolve.APIServicePort(b)
}

func unavailableReason(apiService *apiregistrationv1.APIService) string {
	for _, c := range apiService.Status.Conditions {
		if c.Type == apiregistrationv1.Available {
			if c.Status == apiregistrationv1.ConditionTrue {
				return ""
			}
			return fmt.Sprintf("%s: %s", c.Reason, c.Message)
		}
	}
	return "its Available condition is not set yet"
}

// ServeHTTP proxies r to a backend of the APIService its path names.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, discovery := h.lookup(r.URL.Path)
	if t == nil {
		h.writeStatus(w, r, notFound())
		return
	}
	name := t.apiService.Name
	if !canonicalPath(r.URL.Path) {
		h.writeStatus(w, r, apierrors.NewBadRequest(fmt.Sprintf("the path %q has an empty, \".\" or \"..\" segment: it is not proxied to APIService %s", r.URL.Path, name)))
		return
	}
	if t.unavailable != "" {
		h.refuse(w, r, t, apierrors.NewServiceUnavailable(fmt.Sprintf("APIService %s is not available: %s", name, t.unavailable)))
		return
	}
	if _, ok := request.UserFrom(r.Context()); !ok {
		// Forwarding without X-Remote-User would make the request anonymous
		// at best; this is a wiring bug, not the client's fault.
		h.refuse(w, r, t, apierrors.NewInternalError(fmt.Errorf("no user in the request context: refusing to proxy to APIService %s", name)))
		return
	}
	transport, err := h.cfg.Transports.For(t.apiService)
	if err != nil {
		h.refuse(w, r, t, apierrors.NewInternalError(fmt.Errorf("backend transport: %w", err)))
		return
	}
	ref := t.apiService.Spec.Service
	addrs, err := h.cfg.Resolver.Resolve(ref.Namespace, ref.Name, resolve.APIServicePort(ref))
	if err == nil && len(addrs) == 0 {
		err = errors.New("the Service resolved to no address")
	}
	if errors.Is(err, resolve.ErrNotSynced) {
		h.writeStatus(w, r, notSyncedYet(name))
		return
	}
	if err != nil {
		h.refuse(w, r, t, apierrors.NewServiceUnavailable(fmt.Sprintf("APIService %s has no backend: %v", name, err)))
		return
	}
	if discovery {
		ctx, cancel := context.WithTimeout(r.Context(), h.cfg.DiscoveryTimeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	// The request is now the backend's work: let API priority and fairness
	// release the seats it holds (matters for long watches).
	utilflowcontrol.RequestDelegated(r.Context())
	h.reverseProxy(w, t, transport, addrs, isUpgrade(r), discovery).ServeHTTP(w, r)
}

// PathOf is where the APIService for group/version is served: /api/v1 for
// the legacy core group, /apis/<group>/<version> otherwise. The mux
// registration uses it; apiServiceForPath is its inverse.
func PathOf(group, version string) string {
	if group == "" {
		return "/api/" + version
	}
	return "/apis/" + group + "/" + version
}

// apiServiceForPath returns the APIService name serving path and whether
// the path is exactly a group-version discovery document.
func apiServiceForPath(path string) (name string, discovery bool) {
	var buf [64]byte
	key, discovery := appendAPIServiceName(buf[:0], path)
	return string(key), discovery
}

// appendAPIServiceName appends the APIService name serving path to dst
// (nothing when no APIService could serve it) and reports whether the path
// is exactly a group-version discovery document. It reads the path segment
// by segment rather than splitting it: this runs on every proxied request.
func appendAPIServiceName(dst []byte, path string) ([]byte, bool) {
	rest := strings.Trim(path, "/")
	first, rest, _ := strings.Cut(rest, "/")
	switch first {
	case "api":
		return append(dst, "v1."...), rest == "v1"
	case "apis":
		group, rest, _ := strings.Cut(rest, "/")
		version, rest, more := strings.Cut(rest, "/")
		if version == "" && !more {
			return dst, false // fewer than three segments
		}
		dst = append(dst, version...)
		dst = append(dst, '.')
		return append(dst, group...), !more
	}
	return dst, false
}

// lookup returns the target serving path, or nil, and whether the path is
// a discovery document. The name is built on the stack: indexing a map
// with string(bytes) does not allocate, and this runs three times per
// proxied request (twice to route it, once to serve it).
func (h *Handler) lookup(path string) (*target, bool) {
	var buf [128]byte
	key, discovery := appendAPIServiceName(buf[:0], path)
	if len(key) == 0 {
		return nil, false
	}
	h.mu.RLock()
	t := h.apiServices[string(key)]
	h.mu.RUnlock()
	return t, discovery
}

// notSyncedYet is 503 with Retry-After: this replica has just started and
// cannot tell yet where the APIService's backends are.
func notSyncedYet(apiService string) error {
	err := apierrors.NewServiceUnavailable(fmt.Sprintf("APIService %s: %v; please try again", apiService, resolve.ErrNotSynced))
	err.ErrStatus.Details = &metav1.StatusDetails{RetryAfterSeconds: 1}
	return err
}

func notFound() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusNotFound, Reason: metav1.StatusReasonNotFound,
		Message: "the server could not find the requested resource",
	}}
}

func isUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Connection") {
		for _, token := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), "upgrade") {
				return r.Header.Get("Upgrade") != ""
			}
		}
	}
	return false
}

// reverseProxy builds the per-request proxy: cheap, and it lets the
// round trips see this request's addresses. What one request needs lives
// in one allocation (proxied).
func (h *Handler) reverseProxy(w http.ResponseWriter, t *target, transport *backend.Transport, addrs []string, upgrade, discovery bool) *httputil.ReverseProxy {
	p := &proxied{w: w, onResponse: t.hooks.onResponse[index(upgrade)]}
	p.attempts = attempts{addrs: addrs, max: h.cfg.MaxAttempts, balancer: t.balancer, transport: transport, roundTrip: transport.RoundTripper, metrics: t.metrics}
	modify := p.onResponse
	if upgrade {
		p.attempts.roundTrip = transport.UpgradeRoundTripper
	} else {
		modify = p.modifyResponse
	}
	p.ReverseProxy = httputil.ReverseProxy{
		Rewrite:    h.rewriteFn,
		Transport:  &p.attempts,
		BufferPool: h.buffers,
		// Zero, not -1: ReverseProxy already flushes every write of a
		// response without Content-Length (watches, chunked lists, event
		// streams), and a response of known length then leaves in one write
		// instead of a header frame flushed early and a body frame after it.
		FlushInterval:  0,
		ModifyResponse: modify,
		ErrorHandler:   t.hooks.onError[index(discovery)],
		ErrorLog:       errorLog,
	}
	return &p.ReverseProxy
}

// proxied is one proxied request's reverse proxy, round tripper and what
// its response hook needs.
type proxied struct {
	httputil.ReverseProxy
	attempts   attempts
	w          http.ResponseWriter
	onResponse func(*http.Response) error
}

// rewrite makes the outbound request: the authorized path and query, the
// forwarding headers, and the caller's identity in place of any the caller
// sent. ServeHTTP made sure the context has a user.
func (h *Handler) rewrite(pr *httputil.ProxyRequest) {
	u, _ := request.UserFrom(pr.In.Context())
	pr.Out.URL.Scheme = "https"
	pr.Out.URL.Host = "backend.invalid" // the attempts set each address
	pr.Out.Host = ""
	forwardAuthorized(pr.Out.URL, pr.In.URL)
	auditID := audit.GetAuditIDTruncated(pr.In.Context())
	b := newHeaderBlock(pr.Out.Header, forwardedCount+2+identityCount(u))
	b.setForwarded(pr.In)
	b.set("X-Forwarded-Uri", pr.Out.URL.RequestURI())
	h.identity.forward(&b, u)
	if auditID != "" {
		b.set("Audit-ID", auditID)
	}
}

// modifyResponse is the response hook of a request that is not an
// upgrade: the APIService's checks, then the backend's header values
// handed to the client's response as they are. ReverseProxy would copy
// them value by value, an allocation per header. Content-Type stays for
// ReverseProxy to copy: it reads it afterwards to flush event streams.
func (p *proxied) modifyResponse(resp *http.Response) error {
	if err := p.onResponse(resp); err != nil {
		return err
	}
	moveHeader(p.w.Header(), resp.Header)
	return nil
}

// moveHeader adds src's values to dst, as http.Header.Add does one by one,
// and removes them from src; Content-Type is left in src.
func moveHeader(dst, src http.Header) {
	for key, values := range src {
		if key == "Content-Type" || len(values) == 0 {
			continue
		}
		name := textproto.CanonicalMIMEHeaderKey(key)
		if prior := dst[name]; len(prior) > 0 {
			dst[name] = append(prior[:len(prior):len(prior)], values...)
		} else {
			dst[name] = values
		}
		delete(src, key)
	}
}

// checkResponse refuses redirects and bogus upgrade answers and drops CORS
// headers: CORS is this server's decision, not a backend's.
func (h *Handler) checkResponse(upgrade bool) func(*http.Response) error {
	return func(resp *http.Response) error {
		if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "" && !h.cfg.AllowRedirects {
			return fmt.Errorf("%w (%s)", errRedirect, resp.Status)
		}
		if upgrade && resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode < 400 {
			return fmt.Errorf("%w: %s", errInvalidUpgrade, resp.Status)
		}
		for _, name := range []string{"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Allow-Origin"} {
			resp.Header.Del(name)
		}
		return nil
	}
}

// Proxies reports whether path belongs to a remote APIService this handler
// proxies (available or not), so that the server can route it to the
// shorter filter chain for proxied requests.
func (h *Handler) Proxies(path string) bool {
	t, _ := h.lookup(path)
	return t != nil
}
