package discovery

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/endpoints/discovery/aggregated"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1helper "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/helper"
	apiregistrationv1informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions/apiregistration/v1"
	apiregistrationv1listers "k8s.io/kube-aggregator/pkg/client/listers/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/firstround"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

// Defaults for ManagerConfig.
const (
	DefaultRefreshInterval = 30 * time.Second
	DefaultFetchTimeout    = 5 * time.Second
	DefaultWorkers         = 2
	// firstRetry is how soon a Service whose fetch failed is tried again;
	// the delay doubles up to the refresh interval.
	firstRetry = 500 * time.Millisecond
)

// ManagerConfig is what a Manager needs. APIServices, Resources and Fetch
// are required.
type ManagerConfig struct {
	// APIServices is the informer the Manager follows. NewManager registers
	// an event handler, so build the Manager before the factory starts.
	APIServices apiregistrationv1informers.APIServiceInformer
	// Resources is the server's aggregated discovery document:
	// GenericAPIServer.AggregatedDiscoveryGroupManager.
	Resources aggregated.ResourceManager
	// Fetch reaches a remote APIService's backend; see ServiceFetcher.
	Fetch Fetcher
	// RefreshInterval is how often each Service is asked again while it
	// answers. Default DefaultRefreshInterval.
	RefreshInterval time.Duration
	// FetchTimeout bounds one Service's fetch. Default DefaultFetchTimeout.
	FetchTimeout time.Duration
}

// Manager publishes remote APIServices into the aggregated discovery v2
// document and keeps them fresh. Each Service is asked once for all the
// APIServices it backs. A group/version whose backend stops answering, or
// whose APIService is not Available, stays listed with freshness Stale and
// its last known resources (none if it never answered), as in Kubernetes.
//
// It also gives the built-in group/versions (local APIServices) their
// APIService's priorities, so v2 orders groups as /apis does.
type Manager struct {
	lister          apiregistrationv1listers.APIServiceLister
	hasSynced       cache.InformerSynced
	aggregatorRM    aggregated.ResourceManager
	builtinRM       aggregated.ResourceManager
	fetch           Fetcher
	refreshInterval time.Duration
	fetchTimeout    time.Duration
	queue           workqueue.TypedRateLimitingInterface[serviceKey]

	lock sync.Mutex
	// services holds what each Service last answered.
	services map[serviceKey]*serviceState
	// published records, per remote APIService name, what is in the
	// document, so unchanged entries are not rewritten and gone ones removed.
	published map[string]publishedVersion
	// firstRound holds readiness until every Service known at start has
	// been tried once.
	firstRound *firstround.Tracker[serviceKey]
}

// serviceKey names one Service port; APIServices on the same one share a fetch.
type serviceKey struct {
	namespace, name string
	port            int32
}

func (k serviceKey) String() string { return fmt.Sprintf("%s/%s:%d", k.namespace, k.name, k.port) }

// serviceState is one Service's last answer.
type serviceState struct {
	// etag and list are the last v2 document, for If-None-Match.
	etag string
	list *apidiscoveryv2.APIGroupDiscoveryList
	// lastGood is each APIService's last fetched version entry, republished
	// as Stale while the backend does not answer.
	lastGood map[string]apidiscoveryv2.APIVersionDiscovery
}

type publishedVersion struct {
	service  serviceKey
	gv       metav1.GroupVersion
	entry    apidiscoveryv2.APIVersionDiscovery
	priority [2]int32
}

// NewManager returns a Manager for c; Run starts it.
func NewManager(c ManagerConfig) (*Manager, error) {
	if c.APIServices == nil || c.Resources == nil || c.Fetch == nil {
		return nil, errors.New("discovery manager: APIServices, Resources and Fetch are required")
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = DefaultFetchTimeout
	}
	m := &Manager{
		lister:          c.APIServices.Lister(),
		hasSynced:       c.APIServices.Informer().HasSynced,
		aggregatorRM:    c.Resources.WithSource(aggregated.AggregatorSource),
		builtinRM:       c.Resources.WithSource(aggregated.BuiltinSource),
		fetch:           c.Fetch,
		refreshInterval: c.RefreshInterval,
		fetchTimeout:    c.FetchTimeout,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[serviceKey](firstRetry, c.RefreshInterval),
			workqueue.TypedRateLimitingQueueConfig[serviceKey]{Name: "aggregated_discovery"}),
		services:   map[serviceKey]*serviceState{},
		published:  map[string]publishedVersion{},
		firstRound: firstround.New[serviceKey](),
	}
	_, err := c.APIServices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { m.onChange(nil, asAPIService(obj)) },
		UpdateFunc: func(old, obj any) { m.onChange(asAPIService(old), asAPIService(obj)) },
		DeleteFunc: func(obj any) { m.onChange(asAPIService(obj), nil) },
	})
	if err != nil {
		return nil, fmt.Errorf("watch APIServices for aggregated discovery: %w", err)
	}
	return m, nil
}

// Run publishes every remote APIService (Stale until its backend answers,
// so no group/version goes missing while backends are asked) and keeps them
// fresh with workers goroutines until ctx ends.
func (m *Manager) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer m.queue.ShutDown()
	if workers <= 0 {
		workers = DefaultWorkers
	}
	if !cache.WaitForNamedCacheSyncWithContext(ctx, m.hasSynced) {
		return
	}
	m.builtinRM.SetGroupVersionPriority(metav1.GroupVersion{Group: apiregistrationGroup, Version: apiregistrationv1.SchemeGroupVersion.Version}, apiregistrationGroupPriority, 15)
	m.startFirstRound()
	for range workers {
		go m.work(ctx)
	}
	<-ctx.Done()
}

// Initialized is closed once every Service known at start has been asked once.
func (m *Manager) Initialized() <-chan struct{} { return m.firstRound.Done() }

// startFirstRound publishes Stale placeholders and queues every Service.
func (m *Manager) startFirstRound() {
	apiServices, err := m.lister.List(everything)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("list APIServices: %w", err))
	}
	m.lock.Lock()
	first := map[serviceKey]bool{}
	for _, apiService := range apiServices {
		if key, ok := keyOf(apiService); ok {
			first[key] = true
			if _, known := m.published[apiService.Name]; !known {
				m.publishLocked(key, apiService, apidiscoveryv2.APIVersionDiscovery{Version: apiService.Spec.Version, Freshness: apidiscoveryv2.DiscoveryFreshnessStale})
			}
		}
	}
	m.lock.Unlock()
	keys := slices.Collect(maps.Keys(first))
	m.firstRound.Start(keys)
	for _, key := range keys {
		m.queue.Add(key)
	}
}

func (m *Manager) work(ctx context.Context) {
	for m.processNextWorkItem(ctx) {
	}
}

func (m *Manager) processNextWorkItem(ctx context.Context) bool {
	key, shutdown := m.queue.Get()
	if shutdown {
		return false
	}
	defer m.queue.Done(key)
	current := m.syncService(ctx, key)
	m.firstRound.Processed(key)
	switch {
	case !current:
		m.queue.AddRateLimited(key)
	case m.hasService(key):
		m.queue.Forget(key)
		m.queue.AddAfter(key, m.refreshInterval)
	default:
		m.queue.Forget(key)
	}
	return true
}

func (m *Manager) hasService(key serviceKey) bool {
	m.lock.Lock()
	defer m.lock.Unlock()
	_, ok := m.services[key]
	return ok
}

// onChange reacts to one APIService event. Local APIServices set the
// built-in group/version's priority; remote ones queue their Service. Only
// a change of spec or of availability refetches: status heartbeats and
// informer resyncs do not (kube-aggregator refetches on every update).
func (m *Manager) onChange(old, apiService *apiregistrationv1.APIService) {
	oldKey, oldRemote := keyOf(old)
	newKey, newRemote := keyOf(apiService)
	if apiService != nil && !newRemote && apiService.Spec.Group != "" {
		m.setBuiltinPriority(apiService)
	}
	if oldRemote && (!newRemote || oldKey != newKey) {
		m.queue.Add(oldKey)
	}
	if newRemote && (old == nil || !oldRemote || oldKey != newKey || changedForDiscovery(old, apiService)) {
		m.queue.Add(newKey)
	}
}

func changedForDiscovery(old, apiService *apiregistrationv1.APIService) bool {
	return !apiequality.Semantic.DeepEqual(old.Spec, apiService.Spec) || isAvailable(old) != isAvailable(apiService)
}

func (m *Manager) setBuiltinPriority(apiService *apiregistrationv1.APIService) {
	groupPriority := int(apiService.Spec.GroupPriorityMinimum)
	if apiService.Spec.Group == apiregistrationGroup {
		groupPriority = apiregistrationGroupPriority
	}
	m.builtinRM.SetGroupVersionPriority(metav1.GroupVersion{Group: apiService.Spec.Group, Version: apiService.Spec.Version},
		groupPriority, int(apiService.Spec.VersionPriority))
}

func keyOf(apiService *apiregistrationv1.APIService) (serviceKey, bool) {
	if apiService == nil || apiService.Spec.Service == nil {
		return serviceKey{}, false
	}
	s := apiService.Spec.Service
	return serviceKey{namespace: s.Namespace, name: s.Name, port: resolve.APIServicePort(s)}, true
}

func isAvailable(apiService *apiregistrationv1.APIService) bool {
	return apiregistrationv1helper.IsAPIServiceConditionTrue(apiService, apiregistrationv1.Available)
}

func asAPIService(obj any) *apiregistrationv1.APIService {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	apiService, ok := obj.(*apiregistrationv1.APIService)
	if !ok {
		klog.ErrorS(nil, "Unexpected object in the APIService informer", "type", fmt.Sprintf("%T", obj))
		return nil
	}
	return apiService
}
