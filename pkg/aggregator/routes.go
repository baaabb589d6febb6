package aggregator

import (
	"net/http"
	"sync/atomic"

	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
)

// ProxyRoutes tells which request paths the aggregator proxies, and
// proxies them. The server builds its filter chains before Install creates
// the proxy, so it holds a ProxyRoutes, passes it in Config, and asks it
// per request.
type ProxyRoutes struct {
	handler atomic.Pointer[proxy.Handler]
}

// Proxied reports whether path is served by a remote APIService; false
// until Install has run.
func (r *ProxyRoutes) Proxied(path string) bool {
	h := r.handler.Load()
	return h != nil && h.Proxies(path)
}

// ServeHTTP proxies a request whose path Proxied accepted, straight to the
// proxy handler: the server's mux would only route it there again.
func (r *ProxyRoutes) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h := r.handler.Load()
	if h == nil {
		http.Error(w, "the aggregator is not installed", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, req)
}
