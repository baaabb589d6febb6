package availability

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1helper "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/helper"
)

// syncAPIService checks one APIService and records the result.
func (c *Controller) syncAPIService(ctx context.Context, name string) error {
	apiService, err := c.apiService.Get(name)
	if apierrors.IsNotFound(err) {
		c.forget(name)
		return nil
	}
	if err != nil {
		return err
	}
	if apiService.Spec.Service == nil {
		// Local: the local availability controller owns it.
		c.forget(name)
		return nil
	}
	// Probe again at the next Period whatever happens now; the queue keeps
	// the earliest of this and any sooner recheck.
	c.queue.AddAfter(name, c.period)

	seen := c.check(ctx, apiService)
	if ctx.Err() != nil {
		// Shutting down: the probes were cancelled, which says nothing
		// about the backend, so nothing is written.
		return ctx.Err()
	}
	if c.watcher != nil {
		if seen.condition.Status == apiregistrationv1.ConditionTrue {
			c.watcher.watch(name, seen.addrs, seen.transport.TLSConfig)
		} else {
			c.watcher.stop(name)
		}
	}

	if seen.condition.Reason != ReasonFailedDiscoveryCheck {
		c.suspects.clear(name)
		c.failing.Forget(name)
		return c.updateStatus(ctx, apiService, seen.condition)
	}
	if apiregistrationv1helper.IsAPIServiceConditionTrue(apiService, apiregistrationv1.Available) &&
		c.suspects.firstFailure(name) {
		// One failed probe of an Available APIService may be a blip (a
		// rolling restart, a dropped connection): look again shortly
		// before telling every client it is gone.
		c.queue.AddAfter(name, c.recheckDelay)
		return nil
	}
	c.queue.AddAfter(name, c.failingRecheck(name, seen))
	return c.updateStatus(ctx, apiService, seen.condition)
}

// failingRecheck is how soon a failing APIService is probed again. While
// nothing listens at any address, every unreachableRecheck: a refused dial
// is nearly free, and a restarted backend must be Available within a second
// of answering however long it was gone. A backend that answers but fails
// (bad status, TLS error, timeout) costs it real work per probe, so those
// are re-probed with a backoff from RecheckDelay up to the Period, started
// afresh when the backend goes from unreachable to answering.
func (c *Controller) failingRecheck(name string, seen observation) time.Duration {
	if seen.unreachable {
		c.failing.Forget(name)
		return unreachableRecheck
	}
	return c.failing.When(name)
}

// forget drops what the controller keeps about an APIService that is gone
// or not remote.
func (c *Controller) forget(name string) {
	c.metrics.forget(name)
	c.suspects.clear(name)
	c.failing.Forget(name)
	if c.watcher != nil {
		c.watcher.stop(name)
	}
}

// suspects are Available APIServices whose last probe failed once.
type suspects struct {
	mu    sync.Mutex
	names map[string]bool
}

func newSuspects() *suspects { return &suspects{names: map[string]bool{}} }

// firstFailure records a failure and reports whether it is the first one
// since the last success.
func (s *suspects) firstFailure(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names[name] {
		return false
	}
	s.names[name] = true
	return true
}

func (s *suspects) clear(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.names, name)
}
