package nsdelete

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// DefaultGracePeriod is how long the controller waits after seeing a
// namespace marked for deletion before deleting its content. Kubernetes waits
// the same, so that other API servers sharing the storage observe the deletion
// (and stop admitting new objects) and last-moment creations land first.
const DefaultGracePeriod = 5 * time.Second

// Controller deletes the content of namespaces marked for deletion and then
// finalizes and deletes them.
type Controller struct {
	// GracePeriod delays the first pass over a newly terminating namespace.
	// New sets DefaultGracePeriod; change it before the informer starts
	// (tests often use 0).
	GracePeriod time.Duration

	lister corelisters.NamespaceLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]

	// sync handles one namespace key; a field so tests can replace it.
	sync func(ctx context.Context, key string) error
}

// New builds a controller that watches namespaces through nsInformer, finds
// resource types with discovery (cached between namespaces, see
// resourceCatalog), deletes content with metadata and updates namespaces with
// client. Register nsInformer's factory to start before Run.
func New(client kubernetes.Interface, metadata metadata.Interface, discovery discovery.DiscoveryInterface, nsInformer coreinformers.NamespaceInformer) *Controller {
	return newController(client, metadata, discovery, nsInformer, clock.RealClock{})
}

func newController(client kubernetes.Interface, md metadata.Interface, disc discovery.DiscoveryInterface, nsInformer coreinformers.NamespaceInformer, clk clock.PassiveClock) *Controller {
	catalog := newResourceCatalog(disc, clk)
	deleter := &namespaceDeleter{
		namespaces: client.CoreV1().Namespaces(),
		catalog:    catalog,
		content:    &contentDeleter{metadata: md, typeGone: catalog.invalidate},
		clock:      clk,
	}
	c := &Controller{
		GracePeriod: DefaultGracePeriod,
		lister:      nsInformer.Lister(),
		synced:      nsInformer.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(rateLimiter(),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "namespace_deletion"}),
	}
	c.sync = func(ctx context.Context, key string) error { return c.syncNamespace(ctx, deleter, key) }

	// Registration only fails once the informer has stopped, which cannot be
	// the case for an informer handed to a constructor.
	_, _ = nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
	})
	return c
}

// rateLimiter backs off per namespace (5ms doubling to 30s, shorter than
// Kubernetes' 60s so a namespace whose content finalizers are released is
// noticed soon) and caps the overall rate at 10/s with bursts of 100, as
// Kubernetes' namespace controller does.
func rateLimiter() workqueue.TypedRateLimiter[string] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second),
		&workqueue.TypedBucketRateLimiter[string]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

// enqueue schedules namespaces marked for deletion.
func (c *Controller) enqueue(obj interface{}) {
	ns, ok := obj.(*corev1.Namespace)
	if !ok || ns.DeletionTimestamp == nil {
		return
	}
	key, err := cache.MetaNamespaceKeyFunc(ns)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("key for namespace %q: %w", ns.Name, err))
		return
	}
	c.queue.AddAfter(key, c.GracePeriod)
}

// Run waits for the namespace cache, then runs workers until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)
	logger.Info("Starting namespace deletion controller")
	defer logger.Info("Shutting down namespace deletion controller")

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced) {
		return
	}
	for range workers {
		go wait.UntilWithContext(ctx, c.runWorker, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextItem(ctx) {
	}
}

func (c *Controller) processNextItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)

	err := c.sync(ctx, key)
	if err == nil {
		c.queue.Forget(key)
		return true
	}
	c.queue.AddRateLimited(key)
	var remaining *contentRemainingError
	if errors.As(err, &remaining) {
		klog.FromContext(ctx).V(2).Info("Namespace content still being deleted, will retry", "namespace", key, "objects", remaining.objects)
		return true
	}
	utilruntime.HandleErrorWithContext(ctx, err, "Namespace deletion failed, will retry", "namespace", key)
	return true
}

// syncNamespace runs one deletion pass for the namespace behind key, if the
// informer still knows it as terminating.
func (c *Controller) syncNamespace(ctx context.Context, deleter *namespaceDeleter, key string) error {
	ns, err := c.lister.Get(key)
	if err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted meanwhile: the job is done.
			return nil
		}
		return fmt.Errorf("get namespace %q from cache: %w", key, err)
	}
	if ns.DeletionTimestamp == nil {
		return nil
	}
	start := time.Now()
	defer func() {
		klog.FromContext(ctx).V(4).Info("Finished namespace deletion pass", "namespace", key, "duration", time.Since(start))
	}()
	return deleter.delete(ctx, ns.Name)
}
