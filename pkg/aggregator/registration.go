package aggregator

import (
	"context"
	"sync"

	"k8s.io/apiserver/pkg/server/mux"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
)

// registration keeps the mux paths of remote APIServices pointing at the
// proxy, and the proxy up to date with each APIService's spec and
// condition, as APIServices come, change and go.
type registration struct {
	mux      *mux.PathRecorderMux
	proxy    *proxy.Handler
	informer cache.SharedIndexInformer

	// initiated closes once every APIService of the informer's first list
	// has its path installed; until then the server answers unknown paths
	// 503 rather than 404 (see Install).
	initiated chan struct{}
	handler   cache.ResourceEventHandlerRegistration

	mu sync.Mutex
	// paths maps an APIService name to the /apis/<group>/<version> path it
	// registered.
	paths map[string]string
}

func newRegistration(m *mux.PathRecorderMux, p *proxy.Handler, apiServices apiregistrationv1informers.APIServiceInformer) (*registration, error) {
	r := &registration{mux: m, proxy: p, informer: apiServices.Informer(), paths: map[string]string{},
		initiated: make(chan struct{})}
	var err error
	r.handler, err = r.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.update(obj) },
		UpdateFunc: func(_, obj any) { r.update(obj) },
		DeleteFunc: func(obj any) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if svc, ok := obj.(*apiregistrationv1.APIService); ok {
				r.remove(svc.Name)
			}
		},
	})
	return r, err
}

// run closes initiated once the handler has seen the informer's first list:
// the informer drives everything else through the handler.
func (r *registration) run(ctx context.Context) {
	if cache.WaitForCacheSync(ctx.Done(), r.handler.HasSynced) {
		close(r.initiated)
	}
}

func (r *registration) update(obj any) {
	svc, ok := obj.(*apiregistrationv1.APIService)
	if !ok {
		return
	}
	if svc.Spec.Service == nil {
		// Local: served by this server's own handlers.
		r.remove(svc.Name)
		return
	}
	r.proxy.UpdateAPIService(svc)
	path := proxy.PathOf(svc.Spec.Group, svc.Spec.Version)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.paths[svc.Name] == path {
		return
	}
	if old, had := r.paths[svc.Name]; had {
		r.mux.Unregister(old)
		r.mux.Unregister(old + "/")
	}
	r.mux.Handle(path, r.proxy)
	r.mux.UnlistedHandlePrefix(path+"/", r.proxy)
	r.paths[svc.Name] = path
	klog.V(2).InfoS("Proxying APIService", "apiservice", svc.Name, "path", path)
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
