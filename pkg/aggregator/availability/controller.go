package availability

import (
	"context"
	"fmt"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1informers "k8s.io/client-go/informers/core/v1"
	discoveryv1informers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1client "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/typed/apiregistration/v1"
	apiregistrationv1informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions/apiregistration/v1"
	apiregistrationv1listers "k8s.io/kube-aggregator/pkg/client/listers/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

// Defaults for the zero fields of Config.
const (
	DefaultPeriod       = 10 * time.Second
	DefaultRecheckDelay = 250 * time.Millisecond
	DefaultProbeTimeout = 5 * time.Second
)

// unreachableRecheck is how often an APIService none of whose addresses
// accepts connections is probed: at most two refused dials a second per
// address, and a backend is found within this long of listening again.
const unreachableRecheck = 500 * time.Millisecond

// queueName names the workqueue metrics like kube-aggregator's controller.
const queueName = "RemoteAvailabilityController"

// Config says what the controller watches, how it reaches backends and how
// often it probes. Fields marked optional may be left zero.
type Config struct {
	// APIServiceClient writes status, e.g. clientset.ApiregistrationV1().
	APIServiceClient apiregistrationv1client.APIServicesGetter
	// APIServiceInformer lists and watches APIServices.
	APIServiceInformer apiregistrationv1informers.APIServiceInformer
	// ServiceInformer triggers a re-check when a referenced Service changes.
	ServiceInformer corev1informers.ServiceInformer
	// EndpointSliceInformer and EndpointsInformer (optional) trigger a
	// re-check when a referenced Service's endpoints change.
	EndpointSliceInformer discoveryv1informers.EndpointSliceInformer
	EndpointsInformer     corev1informers.EndpointsInformer
	// Resolver turns the APIService's Service into addresses; its
	// *resolve.Error reasons become the condition's reasons.
	Resolver resolve.Resolver
	// Transports gives the TLS transport for an APIService (*backend.Transports).
	Transports TransportSource
	// Period is how often every remote APIService is probed (default 10s).
	Period time.Duration
	// RecheckDelay is how soon a failed probe of an Available APIService is
	// repeated before it is marked unavailable (default 250ms).
	RecheckDelay time.Duration
	// ProbeTimeout bounds one discovery probe (default 5s, as kube-aggregator).
	ProbeTimeout time.Duration
	// Metrics (optional) receives the availability metrics; register them
	// yourself. Nil means a private, unregistered set.
	Metrics *Metrics
	// Elector (optional) decides whether this replica writes status. Nil
	// means it always may (a single replica).
	Elector Elector
	// DisableConnectionWatch turns off the per-address watch connections that
	// notice a backend going away before the next Period (see doc.go).
	DisableConnectionWatch bool
}

// Elector tells whether this replica is the one that writes APIService status.
type Elector interface {
	IsLeader() bool
}

// Controller keeps the Available condition of remote APIServices true to
// what this replica observes.
type Controller struct {
	client     apiregistrationv1client.APIServicesGetter
	apiService apiregistrationv1listers.APIServiceLister
	resolver   resolve.Resolver
	transports TransportSource
	metrics    *Metrics
	elector    Elector

	period, recheckDelay, probeTimeout time.Duration

	hasSynced []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]
	suspects  *suspects
	// failing spaces the re-probes of an APIService whose probe fails,
	// from RecheckDelay up to Period.
	failing workqueue.TypedRateLimiter[string]
	watcher *connectionWatcher

	// sync checks one APIService by name; a field so tests can replace it.
	sync func(ctx context.Context, name string) error
}

// New builds a controller and registers its event handlers on the informers.
// Start the informers, then call Run.
func New(cfg Config) (*Controller, error) {
	if cfg.APIServiceClient == nil || cfg.APIServiceInformer == nil || cfg.ServiceInformer == nil ||
		cfg.Resolver == nil || cfg.Transports == nil {
		return nil, fmt.Errorf("availability: APIServiceClient, APIServiceInformer, ServiceInformer, Resolver and Transports are required")
	}
	c := &Controller{
		client:       cfg.APIServiceClient,
		apiService:   cfg.APIServiceInformer.Lister(),
		resolver:     cfg.Resolver,
		transports:   cfg.Transports,
		metrics:      cfg.Metrics,
		elector:      cfg.Elector,
		period:       orDefault(cfg.Period, DefaultPeriod),
		recheckDelay: orDefault(cfg.RecheckDelay, DefaultRecheckDelay),
		probeTimeout: orDefault(cfg.ProbeTimeout, DefaultProbeTimeout),
		suspects:     newSuspects(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: queueName},
		),
	}
	c.failing = workqueue.NewTypedItemExponentialFailureRateLimiter[string](c.recheckDelay, c.period)
	if c.metrics == nil {
		c.metrics = NewMetrics()
	}
	if !cfg.DisableConnectionWatch {
		c.watcher = newConnectionWatcher(c.queue.Add)
	}
	c.sync = c.syncAPIService

	if err := c.addHandlers(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run waits for the caches, then runs workers until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)
	logger.Info("Starting remote APIService availability controller")
	defer logger.Info("Shutting down remote APIService availability controller")

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.hasSynced...) {
		return
	}
	if c.watcher != nil {
		defer c.watcher.stopAll()
	}
	for range workers {
		go wait.UntilWithContext(ctx, c.runWorker, time.Second)
	}
	<-ctx.Done()
}

// Resync queues every APIService, e.g. when this replica becomes the writer.
func (c *Controller) Resync() {
	list, err := c.apiService.List(everything)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	for _, s := range list {
		c.queue.Add(s.Name)
	}
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)

	if err := c.sync(ctx, name); err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Syncing APIService availability failed", "apiservice", name)
		c.queue.AddRateLimited(name)
		return true
	}
	c.queue.Forget(name)
	return true
}

// isWriter reports whether this replica may write status.
func (c *Controller) isWriter() bool {
	return c.elector == nil || c.elector.IsLeader()
}

// TransportSource gives the transport that reaches an APIService's backend;
// *backend.Transports is one.
type TransportSource interface {
	For(*apiregistrationv1.APIService) (*backend.Transport, error)
}

var _ TransportSource = (*backend.Transports)(nil)
