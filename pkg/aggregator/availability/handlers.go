package availability

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
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

	services := cfg.ServiceInformer.Informer()
	if _, err := services.AddEventHandler(c.serviceHandler(func(obj any) (string, string, bool) {
		svc, ok := obj.(*corev1.Service)
		if !ok {
			return "", "", false
		}
		return svc.Namespace, svc.Name, true
	})); err != nil {
		return err
	}
	c.hasSynced = append(c.hasSynced, services.HasSynced)

	if cfg.EndpointSliceInformer != nil {
		slices := cfg.EndpointSliceInformer.Informer()
		if _, err := slices.AddEventHandler(c.serviceHandler(func(obj any) (string, string, bool) {
			slice, ok := obj.(*discoveryv1.EndpointSlice)
			if !ok || slice.Labels[discoveryv1.LabelServiceName] == "" {
				return "", "", false
			}
			return slice.Namespace, slice.Labels[discoveryv1.LabelServiceName], true
		})); err != nil {
			return err
		}
		c.hasSynced = append(c.hasSynced, slices.HasSynced)
	}

	if cfg.EndpointsInformer != nil {
		endpoints := cfg.EndpointsInformer.Informer()
		if _, err := endpoints.AddEventHandler(c.serviceHandler(func(obj any) (string, string, bool) {
			ep, ok := obj.(*corev1.Endpoints)
			if !ok {
				return "", "", false
			}
			return ep.Namespace, ep.Name, true
		})); err != nil {
			return err
		}
		c.hasSynced = append(c.hasSynced, endpoints.HasSynced)
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
func (c *Controller) serviceHandler(serviceOf func(obj any) (namespace, name string, ok bool)) cache.ResourceEventHandler {
	enqueue := func(obj any) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if namespace, name, ok := serviceOf(obj); ok {
			c.enqueueForService(namespace, name)
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
