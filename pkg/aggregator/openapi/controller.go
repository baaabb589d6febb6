package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions/apiregistration/v1"
	apiregistrationv1listers "k8s.io/kube-aggregator/pkg/client/listers/apiregistration/v1"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/aggkit/aggkit/pkg/aggregator/discovery"
	"github.com/aggkit/aggkit/pkg/aggregator/firstround"
)

// DefaultPeriod is how often every remote APIService's documents are asked
// for again, as kube-aggregator does (with ETags, so mostly 304s).
const DefaultPeriod = time.Minute

// fetchTimeout bounds one document fetch.
const fetchTimeout = 30 * time.Second

// Config is what a Controller needs.
type Config struct {
	// APIServices is the informer over APIService objects; its event
	// handlers are added by New, so New must run before it starts.
	APIServices apiregistrationv1informers.APIServiceInformer
	// Fetch sends GETs to a remote APIService's backend, e.g.
	// discovery.ServiceFetcher(resolver.Resolve, transport).
	Fetch discovery.Fetcher
	// Period is how often documents are refreshed; 0 means DefaultPeriod.
	Period time.Duration
	// BuiltinV2 is the server's own v2 document, when the server builds it
	// lazily (pkg/openapi.Lazy); nil means the server's StaticOpenAPISpec.
	// It is asked for only when a remote APIService's document is merged.
	BuiltinV2 cached.Value[*spec.Swagger]
}

// entry is what is known of one remote APIService.
type entry struct {
	apiService *apiregistrationv1.APIService
	v2, v3     *document
	// published is the name of what /openapi/v3 lists for the group/version.
	published string
}

// Controller keeps the server's /openapi/v2 and /openapi/v3 in step with the
// remote APIServices.
type Controller struct {
	lister apiregistrationv1listers.APIServiceLister
	synced cache.InformerSynced
	fetch  discovery.Fetcher
	period time.Duration
	queue  workqueue.TypedRateLimitingInterface[string]

	// Set by attach, from the server after PrepareRun.
	v2Service     *handler.OpenAPIService
	v2BuiltinSpec cached.Value[*spec.Swagger]
	v3Service     *handler3.OpenAPIService
	v3Builtin     map[string]bool
	attached      chan struct{}
	attachOnce    sync.Once
	// firstRound holds readiness until every remote APIService known at
	// start has been fetched once.
	firstRound *firstround.Tracker[string]

	mu      sync.Mutex
	entries map[string]*entry

	// publishMu orders v2 merges so a later one is always served last.
	publishMu       sync.Mutex
	lastFingerprint *string
	// v2Builtin is v2BuiltinSpec encoded, made by the first merge: a
	// server without remote APIServices never needs it.
	v2Builtin []byte
}

// New returns a Controller that does nothing until its PostStartHook runs.
func New(cfg Config) (*Controller, error) {
	if cfg.APIServices == nil || cfg.Fetch == nil {
		return nil, errors.New("openapi: Config needs APIServices and Fetch")
	}
	c := &Controller{
		lister:     cfg.APIServices.Lister(),
		synced:     cfg.APIServices.Informer().HasSynced,
		fetch:      cfg.Fetch,
		period:     cfg.Period,
		queue:      newQueue(),
		attached:   make(chan struct{}),
		firstRound: firstround.New[string](),
		entries:    map[string]*entry{},
		// Left nil, attach takes the server's StaticOpenAPISpec.
		v2BuiltinSpec: cfg.BuiltinV2,
	}
	if c.period <= 0 {
		c.period = DefaultPeriod
	}
	_, err := cfg.APIServices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		UpdateFunc: func(oldObj, newObj any) {
			// Any change may be a new backend (Service, caBundle) or a new
			// priority; the fetch is cheap with ETags.
			c.enqueue(newObj)
		},
		DeleteFunc: c.enqueue,
	})
	if err != nil {
		return nil, fmt.Errorf("watch APIServices: %w", err)
	}
	return c, nil
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		klog.ErrorS(err, "Cannot queue an APIService for OpenAPI aggregation")
		return
	}
	c.queue.Add(key)
}

// attach hands the controller the server's OpenAPI services, its built-in
// v2 spec and the group/versions it lists in v3, which the GenericAPIServer
// creates in PrepareRun.
func (c *Controller) attach(v2 *handler.OpenAPIService, builtinV2 *spec.Swagger, v3 *handler3.OpenAPIService, builtinV3 map[string]bool) error {
	if v2 == nil || (builtinV2 == nil && c.v2BuiltinSpec == nil) || v3 == nil {
		return errors.New("the server serves no OpenAPI: set OpenAPIConfig and OpenAPIV3Config, leave SkipOpenAPIInstallation false, and call PrepareRun first (or serve them lazily and give Config.BuiltinV2)")
	}
	c.attachOnce.Do(func() {
		if c.v2BuiltinSpec == nil {
			c.v2BuiltinSpec = cached.Static(builtinV2, "")
		}
		c.v2Service, c.v3Service, c.v3Builtin = v2, v3, builtinV3
		close(c.attached)
	})
	return nil
}

// Initialized is closed once every APIService known at start has been
// fetched once, successfully or not.
func (c *Controller) Initialized() <-chan struct{} {
	return c.firstRound.Done()
}

// Run processes APIServices with workers goroutines until ctx ends. It
// waits for the OpenAPI services (PostStartHook) and the informer.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer c.queue.ShutDown()
	select {
	case <-c.attached:
	case <-ctx.Done():
		return
	}
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return
	}
	c.startFirstRound()
	for range max(workers, 1) {
		go func() {
			for c.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
}

// startFirstRound starts the round with every remote APIService listed now.
func (c *Controller) startFirstRound() {
	all, err := c.lister.List(everything)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("list APIServices: %w", err))
	}
	var remote []string
	for _, apiService := range all {
		if apiService.Spec.Service != nil {
			remote = append(remote, apiService.Name)
		}
	}
	c.firstRound.Start(remote)
}

func (c *Controller) processNext(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	remote, err := c.sync(ctx, name)
	c.firstRound.Processed(name)
	switch {
	case err != nil:
		klog.V(2).InfoS("OpenAPI of a remote APIService not refreshed; its last documents are kept", "apiService", name, "err", err)
		c.queue.AddRateLimited(name)
	case remote:
		c.queue.Forget(name)
		c.queue.AddAfter(name, c.period)
	default: // gone or local: nothing to refresh
		c.queue.Forget(name)
	}
	return true
}

// sync fetches one APIService's documents and publishes what changed. remote
// is false when the APIService is gone or local, so it needs no refresh.
func (c *Controller) sync(ctx context.Context, name string) (remote bool, err error) {
	apiService, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) || (err == nil && apiService.Spec.Service == nil) {
		c.remove(name)
		return false, nil
	}
	if err != nil {
		return true, err
	}
	c.mu.Lock()
	previous := c.entries[name]
	c.mu.Unlock()
	var prevV2, prevV3 *document
	if previous != nil {
		prevV2, prevV3 = previous.v2, previous.v3
	}

	fetchCtx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	v2, v2Result, v2Err := fetchDocument(fetchCtx, c.fetch, apiService, "/openapi/v2", prevV2)
	v3, v3Result, v3Err := fetchDocument(fetchCtx, c.fetch, apiService, v3Path(apiService.Spec.Group, apiService.Spec.Version), prevV3)
	// A failed fetch keeps the last document; a 404 drops it.
	if v2Err != nil {
		v2 = prevV2
	} else if v2Result == notFound {
		v2 = nil
	}
	if v3Err != nil {
		v3 = prevV3
	} else if v3Result == notFound {
		v3 = nil
	}

	c.mu.Lock()
	e := c.entries[name]
	if e == nil {
		e = &entry{}
		c.entries[name] = e
	}
	e.apiService, e.v2, e.v3 = apiService, v2, v3
	c.mu.Unlock()

	c.publishV3(name)
	c.publishV2()
	return true, errors.Join(v2Err, v3Err)
}

// remove forgets an APIService that is gone or has become local.
func (c *Controller) remove(name string) {
	c.mu.Lock()
	e, ok := c.entries[name]
	delete(c.entries, name)
	c.mu.Unlock()
	if !ok {
		return
	}
	key := v3Key(e.apiService.Spec.Group, e.apiService.Spec.Version)
	if e.published != "" && !c.v3Builtin[key] {
		c.v3Service.DeleteGroupVersion(key)
	}
	c.publishV2()
}

// publishV3 updates /openapi/v3's entry for the APIService's group/version.
// Group/versions the server serves itself are never touched.
func (c *Controller) publishV3(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[name]
	if !ok {
		return
	}
	group, version := e.apiService.Spec.Group, e.apiService.Spec.Version
	key := v3Key(group, version)
	if c.v3Builtin[key] {
		return
	}
	value, etag, ok, err := v3Document(group, version, e.v3, e.v2)
	switch {
	case err != nil:
		klog.ErrorS(err, "Keeping the last OpenAPI v3 of a remote group/version", "apiService", name)
	case !ok && e.published != "":
		c.v3Service.DeleteGroupVersion(key)
		e.published = ""
	case ok && etag != e.published:
		c.v3Service.UpdateGroupVersionLazy(key, value)
		e.published = etag
	}
}

// publishV2 merges the built-in spec with every remote v2 spec and serves
// the result, unless the inputs are the same as last time.
func (c *Controller) publishV2() {
	c.publishMu.Lock()
	defer c.publishMu.Unlock()
	remotes := c.remoteV2s()
	inputs := fingerprint(remotes)
	if c.lastFingerprint != nil && *c.lastFingerprint == inputs {
		return
	}
	if c.v2Builtin == nil {
		doc, _, err := c.v2BuiltinSpec.Get()
		if err != nil {
			klog.ErrorS(err, "No built-in OpenAPI v2; remote specs stay out of it")
			return
		}
		builtin, err := json.Marshal(doc)
		if err != nil {
			klog.ErrorS(err, "Cannot encode the built-in OpenAPI v2; remote specs stay out of it")
			return
		}
		c.v2Builtin = builtin
	}
	merged, err := mergeV2(c.v2Builtin, remotes)
	if err != nil {
		klog.ErrorS(err, "Cannot merge OpenAPI v2; serving the last merge")
		return
	}
	if err := c.v2Service.UpdateSpec(merged); err != nil {
		klog.ErrorS(err, "Cannot serve the merged OpenAPI v2")
		return
	}
	c.lastFingerprint = &inputs
}

// remoteV2s returns the remote v2 specs in merge order.
func (c *Controller) remoteV2s() []remoteV2 {
	c.mu.Lock()
	defer c.mu.Unlock()
	groupPriority := map[string]int32{}
	for _, e := range c.entries {
		group := e.apiService.Spec.Group
		if p, ok := groupPriority[group]; !ok || e.apiService.Spec.GroupPriorityMinimum > p {
			groupPriority[group] = e.apiService.Spec.GroupPriorityMinimum
		}
	}
	remotes := make([]remoteV2, 0, len(c.entries))
	for name, e := range c.entries {
		if e.v2 == nil {
			continue
		}
		group := e.apiService.Spec.Group
		remotes = append(remotes, remoteV2{name: name, group: group, version: e.apiService.Spec.Version, groupPriority: groupPriority[group], doc: e.v2})
	}
	orderRemotes(remotes)
	return remotes
}
