package resolve

import (
	"fmt"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// Cached remembers what another Resolver answered for each Service port
// until an event on that Service, its Endpoints or its EndpointSlices says
// the answer may have changed. The proxy resolves on every request; reading
// the listers each time (a label-selected scan of the namespace's slices,
// sorting, deduplication) cost more than the rest of its own work.
//
// Only the proxy should use it: a controller reacting to the same events
// could run before the cache hears of them and read the old answer.
type Cached struct {
	inner Resolver

	mu sync.RWMutex
	// generation counts invalidations; an answer computed across one is
	// returned but not kept, since it may predate the event.
	generation atomic.Uint64
	answers    map[types.NamespacedName]map[int32]answer
}

type answer struct {
	addrs []string
	err   error
}

// NewCached returns a cache over inner that is empty until it is told of
// events with InvalidateOn (or Invalidate).
func NewCached(inner Resolver) *Cached {
	return &Cached{inner: inner, answers: map[types.NamespacedName]map[int32]answer{}}
}

// Resolve returns the kept answer for the Service port or asks inner. The
// addresses are shared: callers must not modify them.
func (c *Cached) Resolve(namespace, name string, port int32) ([]string, error) {
	key := types.NamespacedName{Namespace: namespace, Name: name}
	c.mu.RLock()
	a, ok := c.answers[key][port]
	c.mu.RUnlock()
	if ok {
		return a.addrs, a.err
	}
	generation := c.generation.Load()
	addrs, err := c.inner.Resolve(namespace, name, port)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.generation.Load() == generation {
		if c.answers[key] == nil {
			c.answers[key] = map[int32]answer{}
		}
		c.answers[key][port] = answer{addrs: addrs, err: err}
	}
	return addrs, err
}

// Invalidate forgets every answer for the Service.
func (c *Cached) Invalidate(namespace, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation.Add(1)
	delete(c.answers, types.NamespacedName{Namespace: namespace, Name: name})
}

// InvalidateOn forgets a Service's answers whenever informer, which must
// hold Services, Endpoints or EndpointSlices, sees a change to one of its
// objects. Call it before the informer starts.
func (c *Cached) InvalidateOn(informer cache.SharedIndexInformer) error {
	forget := func(obj any) {
		if service, ok := ServiceOf(obj); ok {
			c.Invalidate(service.Namespace, service.Name)
		}
	}
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: forget,
		// Both: a slice can move from one Service to another.
		UpdateFunc: func(old, obj any) { forget(old); forget(obj) },
		DeleteFunc: forget,
	})
	if err != nil {
		return fmt.Errorf("watch for changes of resolved Services: %w", err)
	}
	return nil
}
