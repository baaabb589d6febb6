package availability

import (
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

var everything = labels.Everything()

// addHandlers wires informer events to the queue: APIServices by name, and
// Services, EndpointSlices and Endpoints to the APIServices that reference
// their Service, so a change is probed at once instead of at the next Period.
func (c *Controller) addHandlers(cfg Config) error {
	apiServices := cfg.APIServiceInformer.Informer()
	if _, err := apiServices.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueAPIService,
		UpdateFunc: func(_, obj any) { c.enqueueAPIService(obj) },
		DeleteFunc: c.enqueueAPIService,
	}); err != nil {
		return err
	}
	c.hasSynced = append(c.hasSynced, apiServices.HasSynced)

	informers := []cache.SharedIndexInformer{cfg.ServiceInformer.Informer()}
	if cfg.EndpointSliceInformer != nil {
		informers = append(informers, cfg.EndpointSliceInformer.Informer())
	}
	if cfg.EndpointsInformer != nil {
		informers = append(informers, cfg.EndpointsInformer.Informer())
	}
	for _, informer := range informers {
		if _, err := informer.AddEventHandler(c.serviceHandler()); err != nil {
			return err
		}
		c.hasSynced = append(c.hasSynced, informer.HasSynced)
	}
	return nil
}

func (c *Controller) enqueueAPIService(obj any) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if apiService, ok := obj.(*apiregistrationv1.APIService); ok {
		c.queue.Add(apiService.Name)
	}
}

// serviceHandler maps an object to the Service it belongs to and queues the
// APIServices that reference that Service.
func (c *Controller) serviceHandler() cache.ResourceEventHandler {
	enqueue := func(obj any) {
		if service, ok := resolve.ServiceOf(obj); ok {
			c.enqueueForService(service.Namespace, service.Name)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}
}

// enqueueForService scans the APIService lister. A cluster has tens of
// APIServices, so a scan is cheaper to keep correct than a reverse index
// that must follow spec.service edits.
func (c *Controller) enqueueForService(namespace, name string) {
	list, err := c.apiService.List(everything)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	for _, apiService := range list {
		ref := apiService.Spec.Service
		if ref != nil && ref.Namespace == namespace && ref.Name == name {
			c.queue.Add(apiService.Name)
		}
	}
}
