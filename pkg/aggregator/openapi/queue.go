package openapi

import (
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/workqueue"
)

var everything = labels.Everything()

// Backoff for an APIService whose backend does not answer: it keeps its last
// documents, and is asked again sooner than Period at first, then less often.
const (
	failureBaseDelay = 5 * time.Second
	failureMaxDelay  = 10 * time.Minute
)

// newQueue is the controller's queue of APIService names: rate-limited
// retries of failed fetches, AddAfter for the periodic refresh.
func newQueue() workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](failureBaseDelay, failureMaxDelay),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "open_api_aggregation_controller"},
	)
}
