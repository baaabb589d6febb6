// Package firstround holds a server's readiness until a controller has
// processed, once, every item it knew of at start: the discovery manager
// (Services) and the OpenAPI controller (APIServices) both do, and neither
// may keep the server unready for a dead backend, so their wait is bounded
// (Wait); the registration of APIService paths reaches no backend and
// waits for its Tracker without a bound.
package firstround

import (
	"context"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// Tracker closes Done once every key given to Start has been Processed.
// Keys processed before Start count: workers may run ahead of it.
type Tracker[K comparable] struct {
	mu        sync.Mutex
	started   bool
	pending   map[K]bool
	processed map[K]bool // until Start
	done      chan struct{}
}

// New returns a Tracker whose round has not started.
func New[K comparable]() *Tracker[K] {
	return &Tracker[K]{pending: map[K]bool{}, processed: map[K]bool{}, done: make(chan struct{})}
}

// Start begins the round with keys; with none left to process, Done
// closes at once. Only the first call counts.
func (t *Tracker[K]) Start(keys []K) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started {
		return
	}
	t.started = true
	for _, k := range keys {
		if !t.processed[k] {
			t.pending[k] = true
		}
	}
	t.processed = nil
	if len(t.pending) == 0 {
		close(t.done)
	}
}

// Processed records that key has been handled once, well or not.
func (t *Tracker[K]) Processed(key K) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started {
		t.processed[key] = true
		return
	}
	if !t.pending[key] {
		return
	}
	delete(t.pending, key)
	if len(t.pending) == 0 {
		close(t.done)
	}
}

// Done is closed when the first round is over.
func (t *Tracker[K]) Done() <-chan struct{} { return t.done }

// Wait returns when done closes, ctx ends or maxWait passes, whichever is
// first; a post-start hook calls it to hold readiness for the first round.
// Giving up is logged with what, which says what stays incomplete.
func Wait(ctx context.Context, done <-chan struct{}, maxWait time.Duration, what string) {
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		klog.InfoS("Not holding readiness longer for the first round; "+what, "waited", maxWait)
	case <-ctx.Done():
	}
}
