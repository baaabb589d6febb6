package proxy

import "testing"

// A buffer handed back shortened must come out of the pool whole, and one
// of another size must not enter it.
func TestBufferPoolLendsWholeBuffers(t *testing.T) {
	p := newBufferPool()
	b := p.Get()
	if len(b) != copyBufferSize || cap(b) != copyBufferSize {
		t.Fatalf("Get: len %d cap %d, want %d", len(b), cap(b), copyBufferSize)
	}
	p.Put(b[:10])
	p.Put(make([]byte, 10))
	for range 3 {
		if b := p.Get(); len(b) != copyBufferSize {
			t.Fatalf("Get after Put: len %d, want %d", len(b), copyBufferSize)
		}
	}
}
