package proxy

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/component-base/metrics"
)

// Metrics are the proxy's per-APIService metrics. kube-apiserver counts
// requests only by group and resource; these say which APIService, and how
// its backends behave. Register them on the server's own registry: two
// servers in one process each keep theirs.
type Metrics struct {
	requests   *metrics.CounterVec
	latency    *metrics.HistogramVec
	retries    *metrics.CounterVec
	ejections  *metrics.CounterVec
	registered atomic.Bool
}

// NewMetrics builds unregistered metrics; until Register they record
// nothing.
func NewMetrics() *Metrics {
	return &Metrics{
		requests: metrics.NewCounterVec(&metrics.CounterOpts{
			Name:           "aggregator_proxy_requests_total",
			Help:           "Requests proxied to remote APIServices, by APIService name, verb and HTTP response code (errors the proxy answered itself included).",
			StabilityLevel: metrics.ALPHA,
		}, []string{"name", "verb", "code"}),
		latency: metrics.NewHistogramVec(&metrics.HistogramOpts{
			Name:           "aggregator_proxy_response_header_duration_seconds",
			Help:           "Time from sending a proxied request until the backend's response headers arrived, retries included, by APIService name.",
			Buckets:        []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
			StabilityLevel: metrics.ALPHA,
		}, []string{"name"}),
		retries: metrics.NewCounterVec(&metrics.CounterOpts{
			Name:           "aggregator_proxy_retries_total",
			Help:           "Proxied requests sent again to another backend address after an attempt failed, by APIService name.",
			StabilityLevel: metrics.ALPHA,
		}, []string{"name"}),
		ejections: metrics.NewCounterVec(&metrics.CounterOpts{
			Name:           "aggregator_proxy_endpoint_ejections_total",
			Help:           "Backend addresses taken out of rotation after a failure, by APIService name.",
			StabilityLevel: metrics.ALPHA,
		}, []string{"name"}),
	}
}

// Register adds the metrics through register, for example the Register
// method of a metrics.KubeRegistry.
func (m *Metrics) Register(register func(metrics.Registerable) error) error {
	for _, c := range []metrics.Registerable{m.requests, m.latency, m.retries, m.ejections} {
		if err := register(c); err != nil {
			return err
		}
	}
	m.registered.Store(true)
	return nil
}

// apiServiceMetrics are one APIService's series, looked up once when the
// APIService is added so that a request costs no label hashing. Requests
// by verb and code are looked up on first use and kept.
type apiServiceMetrics struct {
	parent    *Metrics
	name      string
	latency   metrics.ObserverMetric
	retries   metrics.CounterMetric
	ejections metrics.CounterMetric
	// requests maps verb<<16|code to its counter; replaced, never mutated,
	// so that reads take no lock.
	requests atomic.Pointer[map[uint32]metrics.CounterMetric]
	mu       sync.Mutex
}

// forAPIService returns the series of the named APIService.
func (m *Metrics) forAPIService(name string) *apiServiceMetrics {
	s := &apiServiceMetrics{parent: m, name: name,
		latency: m.latency.WithLabelValues(name), retries: m.retries.WithLabelValues(name), ejections: m.ejections.WithLabelValues(name)}
	s.requests.Store(&map[uint32]metrics.CounterMetric{})
	return s
}

// forget drops the series of a removed APIService.
func (m *Metrics) forget(name string) {
	if !m.registered.Load() {
		return // unregistered vectors hold nothing, and DeletePartialMatch would panic
	}
	m.requests.DeletePartialMatch(map[string]string{"name": name})
	m.latency.DeleteLabelValues(name)
	m.retries.DeleteLabelValues(name)
	m.ejections.DeleteLabelValues(name)
}

// served counts one answer to r with code.
func (s *apiServiceMetrics) served(r *http.Request, code int) {
	verb := verbOf(r)
	key := uint32(verb)<<16 | uint32(code&0xffff)
	if c, ok := (*s.requests.Load())[key]; ok {
		c.Inc()
		return
	}
	if !s.parent.registered.Load() {
		return // a noop counter now would stay noop after Register
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.requests.Load()
	c, ok := old[key]
	if !ok {
		c = s.parent.requests.WithLabelValues(s.name, verbs[verb], strconv.Itoa(code))
		next := make(map[uint32]metrics.CounterMetric, len(old)+1)
		for k, v := range old {
			next[k] = v
		}
		next[key] = c
		s.requests.Store(&next)
	}
	c.Inc()
}

// headers records the time until the backend's response headers.
func (s *apiServiceMetrics) headers(since time.Time) { s.latency.Observe(time.Since(since).Seconds()) }

// verbs are the label values of the verb label, kube-apiserver's spelling
// of the request's verb; the last is for anything else.
var verbs = []string{"GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH", "DELETE", "DELETECOLLECTION", "PROXY", "CONNECT", "POST", "PUT", "HEAD", "OPTIONS", "other"}

var verbIndex = func() map[string]int {
	index := map[string]int{}
	for i, v := range verbs {
		index[v] = i
	}
	for lower, upper := range map[string]string{"get": "GET", "list": "LIST", "watch": "WATCH", "create": "CREATE", "update": "UPDATE",
		"patch": "PATCH", "delete": "DELETE", "deletecollection": "DELETECOLLECTION", "proxy": "PROXY", "connect": "CONNECT",
		"post": "POST", "put": "PUT", "head": "HEAD", "options": "OPTIONS"} {
		index[lower] = index[upper]
	}
	return index
}()

// verbOf is the index in verbs of r's verb: the request info's (get, list,
// watch, ...) when the filter chain set one, else the HTTP method.
func verbOf(r *http.Request) int {
	v := r.Method
	if info, ok := request.RequestInfoFrom(r.Context()); ok && info.Verb != "" {
		v = info.Verb
	}
	if i, ok := verbIndex[v]; ok {
		return i
	}
	return len(verbs) - 1
}

// proxyHooks are an APIService's ReverseProxy hooks, built once when the
// APIService is added rather than per request: indexed by whether the
// request is an upgrade (onResponse) or a discovery request (onError).
type proxyHooks struct {
	onResponse [2]func(*http.Response) error
	onError    [2]func(http.ResponseWriter, *http.Request, error)
}

func (h *Handler) hooksFor(name string, s *apiServiceMetrics) proxyHooks {
	var hooks proxyHooks
	for i, flag := range []bool{false, true} {
		check := h.checkResponse(flag)
		// A response the check refuses is counted by the error handler.
		hooks.onResponse[i] = func(resp *http.Response) error {
			err := check(resp)
			if err == nil {
				s.served(resp.Request, resp.StatusCode)
			}
			return err
		}
		handle := h.errorHandler(name, flag)
		hooks.onError[i] = func(w http.ResponseWriter, r *http.Request, err error) {
			cw := &codeWriter{ResponseWriter: w, code: http.StatusOK}
			handle(cw, r, err)
			s.served(r, cw.code)
		}
	}
	return hooks
}

func index(flag bool) int {
	if flag {
		return 1
	}
	return 0
}

// refuse answers r with err before anything was proxied, and counts it.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, t *target, err error) {
	cw := &codeWriter{ResponseWriter: w, code: http.StatusOK}
	h.writeStatus(cw, r, err)
	t.metrics.served(r, cw.code)
}

// codeWriter remembers the status code written through it.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (w *codeWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *codeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
