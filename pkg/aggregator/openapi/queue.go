package openapi

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	clientgoworkqueue "k8s.io/client-go/util/workqueue"
)

var everything = labels.Everything()

// Backoff for an APIService whose backend does not answer: it keeps its last
// documents, and is asked again sooner than Period at first, then less often.
const (
	failureBaseDelay = 5 * time.Second
	failureMaxDelay  = 10 * time.Minute
)

// workqueue is a rate-limited queue of APIService names that also remembers
// which names have been processed at least once.
type workqueue struct {
	clientgoworkqueue.TypedRateLimitingInterface[string]

	mu         sync.Mutex
	syncedOnce map[string]chan struct{}
}

func newWorkqueue() workqueue {
	return workqueue{
		TypedRateLimitingInterface: clientgoworkqueue.NewTypedRateLimitingQueueWithConfig(
			clientgoworkqueue.NewTypedItemExponentialFailureRateLimiter[string](failureBaseDelay, failureMaxDelay),
			clientgoworkqueue.TypedRateLimitingQueueConfig[string]{Name: "open_api_aggregation_controller"},
		),
		syncedOnce: map[string]chan struct{}{},
	}
}

// Succeeded schedules the next periodic refresh of name.
func (q *workqueue) Succeeded(name string, period time.Duration) {
	q.Forget(name)
	q.AddAfter(name, period)
	q.markSynced(name)
}

// Gone stops refreshing name: its APIService is deleted or local.
func (q *workqueue) Gone(name string) {
	q.Forget(name)
	q.markSynced(name)
}

// Failed schedules a retry of name with backoff.
func (q *workqueue) Failed(name string) {
	q.AddRateLimited(name)
	q.markSynced(name)
}

func (q *workqueue) syncedChannel(name string) chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	ch, ok := q.syncedOnce[name]
	if !ok {
		ch = make(chan struct{})
		q.syncedOnce[name] = ch
	}
	return ch
}

func (q *workqueue) markSynced(name string) {
	ch := q.syncedChannel(name)
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// WaitSyncedOnce waits until name has been processed once; false if ctx ends first.
func (q *workqueue) WaitSyncedOnce(ctx context.Context, name string) bool {
	select {
	case <-q.syncedChannel(name):
		return true
	case <-ctx.Done():
		return false
	}
}
