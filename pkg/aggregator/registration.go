package aggregator

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/server/mux"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	apiregistrationv1informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions/apiregistration/v1"
	apiregistrationv1listers "k8s.io/kube-aggregator/pkg/client/listers/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/firstround"
	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
)

// registration keeps the mux paths of remote APIServices pointing at the
// proxy, and the proxy up to date with each APIService's spec and
// condition, as APIServices come, change and go. APIService events queue
// the name; sync reads the lister and makes mux and proxy agree with it.
type registration struct {
	mux       *mux.PathRecorderMux
	proxy     *proxy.Handler
	lister    apiregistrationv1listers.APIServiceLister
	hasSynced cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]

	// firstRound is done once every APIService of the first list has been
	// synced, i.e. has its path installed; until then the server answers
	// unknown paths 503 rather than 404 (see Install).
	firstRound *firstround.Tracker[string]

	mu sync.Mutex
	// paths maps an APIService name to the /apis/<group>/<version> path it
	// registered.
	paths map[string]string

	// sync installs or removes one APIService's path; a field so tests can
	// replace it.
	sync func(name string) error
}

func newRegistration(m *mux.PathRecorderMux, p *proxy.Handler, apiServices apiregistrationv1informers.APIServiceInformer) (*registration, error) {
	r := &registration{
		mux:        m,
		proxy:      p,
		lister:     apiServices.Lister(),
		hasSynced:  apiServices.Informer().HasSynced,
		firstRound: firstround.New[string](),
		paths:      map[string]string{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second),
			// kube-aggregator's name for the same queue.
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "APIServiceRegistrationController"},
		),
	}
	r.sync = r.syncAPIService
	// Every change counts, status too: the proxy answers 503 while the
	// Available condition is not True.
	_, err := apiServices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    r.enqueue,
		UpdateFunc: func(_, obj any) { r.enqueue(obj) },
		DeleteFunc: r.enqueue,
	})
	if err != nil {
		return nil, fmt.Errorf("watch APIServices for registration: %w", err)
	}
	return r, nil
}

func (r *registration) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("queue an APIService for registration: %w", err))
		return
	}
	r.queue.Add(key)
}

// initiated is closed once every APIService of the first list has its path.
func (r *registration) initiated() <-chan struct{} { return r.firstRound.Done() }

// run waits for the informer, then syncs APIServices with workers
// goroutines until ctx ends.
func (r *registration) run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	defer r.queue.ShutDown()
	if !cache.WaitForNamedCacheSyncWithContext(ctx, r.hasSynced) {
		return
	}
	// The informer queued each listed name already; the round ends when
	// the queue has synced every one of them.
	all, err := r.lister.List(labels.Everything())
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("list APIServices: %w", err))
	}
	names := make([]string, 0, len(all))
	for _, apiService := range all {
		names = append(names, apiService.Name)
	}
	r.firstRound.Start(names)
	for range max(workers, 1) {
		go wait.UntilWithContext(ctx, r.runWorker, time.Second)
	}
	<-ctx.Done()
}

func (r *registration) runWorker(ctx context.Context) {
	for r.processNextWorkItem(ctx) {
	}
}

func (r *registration) processNextWorkItem(ctx context.Context) bool {
	name, quit := r.queue.Get()
	if quit {
		return false
	}
	defer r.queue.Done(name)
	if err := r.sync(name); err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Registering APIService path failed", "apiservice", name)
		r.queue.AddRateLimited(name)
		return true
	}
	// Only a sync that succeeded counts: the round means "paths installed".
	r.firstRound.Processed(name)
	r.queue.Forget(name)
	return true
}

// syncAPIService makes the mux and the proxy agree with the named
// APIService as the lister has it: a remote one is proxied at its path, a
// local or deleted one is not.
func (r *registration) syncAPIService(name string) error {
	apiService, err := r.lister.Get(name)
	if apierrors.IsNotFound(err) {
		r.remove(name)
		return nil
	}
	if err != nil {
		return err
	}
	if apiService.Spec.Service == nil {
		// Local: served by this server's own handlers.
		r.remove(name)
		return nil
	}
	r.proxy.UpdateAPIService(apiService)
	path := proxy.PathOf(apiService.Spec.Group, apiService.Spec.Version)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.paths[name] == path {
		return nil
	}
	if old, had := r.paths[name]; had {
		r.mux.Unregister(old)
		r.mux.Unregister(old + "/")
	}
	r.mux.Handle(path, r.proxy)
	r.mux.UnlistedHandlePrefix(path+"/", r.proxy)
	r.paths[name] = path
	klog.V(2).InfoS("Proxying APIService", "apiservice", name, "path", path)
	return nil
}

func (r *registration) remove(name string) {
	r.proxy.RemoveAPIService(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if path, had := r.paths[name]; had {
		r.mux.Unregister(path)
		r.mux.Unregister(path + "/")
		delete(r.paths, name)
		klog.V(2).InfoS("Stopped proxying APIService", "apiservice", name)
	}
}
