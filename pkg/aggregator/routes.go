package aggregator

import (
	"sync/atomic"

	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
)

// ProxyRoutes tells which request paths the aggregator proxies. The server
// builds its filter chains before Install creates the proxy, so it holds
// a ProxyRoutes, passes it in Config, and asks it per request.
type ProxyRoutes struct {
	handler atomic.Pointer[proxy.Handler]
}

// Proxied reports whether path is served by a remote APIService; false
// until Install has run.
func (r *ProxyRoutes) Proxied(path string) bool {
	h := r.handler.Load()
	return h != nil && h.Proxies(path)
}
