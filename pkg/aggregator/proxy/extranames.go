package proxy

import (
	"net/textproto"
	"sync"
	"sync/atomic"
)

// maxExtraHeaderNames bounds the cache: extra keys come from authenticators
// (a trusted front proxy may send any), and the few real ones fit easily.
const maxExtraHeaderNames = 256

// extraHeaderNames remembers the X-Remote-Extra-<key> header name of each
// user extra key. Every client certificate user carries at least one
// ("authentication.kubernetes.io/credential-id"), and escaping it cost two
// allocations on every proxied request.
type extraHeaderNames struct {
	names sync.Map // extra key -> canonical header name
	count atomic.Int32
}

// headerFor is the canonical header name carrying the extra key.
func (c *extraHeaderNames) headerFor(key string) string {
	if name, ok := c.names.Load(key); ok {
		return name.(string)
	}
	name := textproto.CanonicalMIMEHeaderKey(headerRemoteExtraPrefix + escapeExtraKey(key))
	if c.count.Load() < maxExtraHeaderNames {
		if _, loaded := c.names.LoadOrStore(key, name); !loaded {
			c.count.Add(1)
		}
	}
	return name
}
