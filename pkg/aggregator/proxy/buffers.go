package proxy

import "sync"

// copyBufferSize is what httputil.ReverseProxy allocates per request when
// it has no pool: big enough that a watch event or a list page moves in one
// read.
const copyBufferSize = 32 << 10

// bufferPool lends response copy buffers to ReverseProxy. Without it every
// proxied request allocates 32 KiB, the largest single allocation on the
// path and most of the garbage the collector sees under load.
type bufferPool struct{ pool sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any { return new([copyBufferSize]byte) }}}
}

// The pool holds array pointers: a slice would need a new *[]byte on every
// Put, an allocation per request.
func (p *bufferPool) Get() []byte { return p.pool.Get().(*[copyBufferSize]byte)[:] }

// Put takes back only buffers of the size it lends, so a caller cannot
// shrink the pool's buffers.
func (p *bufferPool) Put(b []byte) {
	if cap(b) != copyBufferSize {
		return
	}
	p.pool.Put((*[copyBufferSize]byte)(b[:copyBufferSize]))
}
