package resolve

import (
	"errors"
	"sync/atomic"

	"k8s.io/client-go/tools/cache"
)

// ErrNotSynced is returned by a resolver whose informers have not yet
// loaded their first list: it does not know whether the Service exists, so
// it must not say it does not (ServiceNotFound, EndpointsNotFound).
var ErrNotSynced = errors.New("the aggregator has not loaded Services and endpoints yet (it is starting)")

// WhenSynced answers ErrNotSynced until every one of synced reports true,
// then asks inner. A replica that has just started serves requests before
// its informers have listed; without this its empty listers would report
// every Service missing.
func WhenSynced(inner Resolver, synced ...cache.InformerSynced) Resolver {
	return &whenSynced{inner: inner, synced: synced}
}

type whenSynced struct {
	inner  Resolver
	synced []cache.InformerSynced
	// done latches: informers stay synced once they are.
	done atomic.Bool
}

func (w *whenSynced) Resolve(namespace, name string, port int32) ([]string, error) {
	if !w.done.Load() {
		for _, synced := range w.synced {
			if !synced() {
				return nil, ErrNotSynced
			}
		}
		w.done.Store(true)
	}
	return w.inner.Resolve(namespace, name, port)
}
