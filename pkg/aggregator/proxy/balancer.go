package proxy

import (
	"slices"
	"sync"
	"sync/atomic"
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
func (b *balancer) order(addrs []string) []string {
	start := int(b.next.Add(1) % uint64(len(addrs)))
	rotated := append(slices.Clone(addrs[start:]), addrs[:start]...)

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.failing) == 0 {
		return rotated
	}
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
}

// failed keeps addr out for a backoff that doubles with each consecutive
// failure, from minBackoff up to maxBackoff.
func (b *balancer) failed(addr string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.failing[addr]
	if !ok {
		f = &failure{}
		b.failing[addr] = f
		klog.V(2).InfoS("APIService backend failing", "apiService", b.apiService, "address", addr, "err", err)
	}
	f.count++
	backoff := maxBackoff
	if f.count <= 6 { // 1s << 5 = 32s is past the cap
		backoff = min(minBackoff<<(f.count-1), maxBackoff)
	}
	f.retryAt = b.now().Add(backoff)
}

// succeeded puts addr back into rotation.
func (b *balancer) succeeded(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.failing[addr]; ok {
		delete(b.failing, addr)
		klog.V(2).InfoS("APIService backend recovered", "apiService", b.apiService, "address", addr)
	}
}
