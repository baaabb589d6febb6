package proxy

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/klog/v2"
)

// balancer spreads the requests of one APIService over its addresses and
// remembers which addresses failed recently.
type balancer struct {
	apiService string
	now        func() time.Time
	next       atomic.Uint64

	mu      sync.Mutex
	failing map[string]*failure
	// anyFailing mirrors len(failing) > 0 so that the common case, every
	// address healthy, takes no lock on each request.
	anyFailing atomic.Bool
}

// failure is an address kept out of rotation until retryAt.
type failure struct {
	count   int
	retryAt time.Time
}

func newBalancer(apiService string) *balancer {
	return &balancer{apiService: apiService, now: time.Now, failing: map[string]*failure{}}
}

// order returns the addresses to try: healthy ones first, rotated round
// robin, then those still backing off, soonest retry first, as a last resort
// so a recovered backend is found even when every address has failed.
// The caller must not modify the result: with one address and nothing
// failing it is addrs itself, the common case, which then costs nothing.
func (b *balancer) order(addrs []string) []string {
	if len(addrs) == 1 && !b.anyFailing.Load() {
		return addrs
	}
	start := int(b.next.Add(1) % uint64(len(addrs)))
	rotated := make([]string, 0, len(addrs))
	rotated = append(append(rotated, addrs[start:]...), addrs[:start]...)
	if !b.anyFailing.Load() {
		return rotated
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgetGone(addrs)
	now := b.now()
	healthy := rotated[:0:0]
	var waiting []string
	for _, addr := range rotated {
		if f, ok := b.failing[addr]; ok && now.Before(f.retryAt) {
			waiting = append(waiting, addr)
		} else {
			healthy = append(healthy, addr)
		}
	}
	slices.SortStableFunc(waiting, func(x, y string) int {
		return b.failing[x].retryAt.Compare(b.failing[y].retryAt)
	})
	return append(healthy, waiting...)
}

// forgetGone drops failures of addresses the Service no longer has.
func (b *balancer) forgetGone(addrs []string) {
	for addr := range b.failing {
		if !slices.Contains(addrs, addr) {
			delete(b.failing, addr)
		}
	}
	b.anyFailing.Store(len(b.failing) > 0)
}

// failed keeps addr out for a backoff that doubles with each consecutive
// failure, from minBackoff up to maxBackoff. A refused connection is kept
// out only for refusedBackoff however often it failed: nothing listens, so
// trying it again costs one refused dial and the request moves on to the
// next address at once, and a backend that restarts must be back in
// rotation within a second however long it was gone. It reports whether
// addr was in rotation until now.
func (b *balancer) failed(addr string, err error) (ejected bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.failing[addr]
	if !ok {
		f = &failure{}
		b.failing[addr] = f
		b.anyFailing.Store(true)
		klog.V(2).InfoS("APIService backend failing", "apiService", b.apiService, "address", addr, "err", err)
		ejected = true
	}
	f.count++
	backoff := maxBackoff
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		f.count = 0 // an answering failure later starts its backoff afresh
		backoff = refusedBackoff
	case f.count <= 6: // 1s << 5 = 32s is past the cap
		backoff = min(minBackoff<<(f.count-1), maxBackoff)
	}
	f.retryAt = b.now().Add(backoff)
	return ejected
}

// succeeded puts addr back into rotation.
func (b *balancer) succeeded(addr string) {
	if !b.anyFailing.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.failing[addr]; ok {
		delete(b.failing, addr)
		b.anyFailing.Store(len(b.failing) > 0)
		klog.V(2).InfoS("APIService backend recovered", "apiService", b.apiService, "address", addr)
	}
}
