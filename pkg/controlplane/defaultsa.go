package controlplane

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// defaultServiceAccountName is the account every namespace gets, as
// kube-controller-manager's service-account controller ensures; `kubectl
// create token default` and many manifests assume it.
const defaultServiceAccountName = "default"

// defaultServiceAccounts is the controller: namespace events, and deletions
// of a default account, queue the namespace; sync creates what is missing.
type defaultServiceAccounts struct {
	namespaces      corev1listers.NamespaceLister
	serviceAccounts corev1listers.ServiceAccountLister
	client          kubernetes.Interface
	hasSynced       []cache.InformerSynced
	queue           workqueue.TypedRateLimitingInterface[string]
	// sync is a field so tests can swap it.
	sync func(ctx context.Context, namespace string) error
}

func newDefaultServiceAccounts(factory informers.SharedInformerFactory, client kubernetes.Interface) (*defaultServiceAccounts, error) {
	namespaces, serviceAccounts := factory.Core().V1().Namespaces(), factory.Core().V1().ServiceAccounts()
	c := &defaultServiceAccounts{
		namespaces:      namespaces.Lister(),
		serviceAccounts: serviceAccounts.Lister(),
		client:          client,
		hasSynced:       []cache.InformerSynced{namespaces.Informer().HasSynced, serviceAccounts.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "default-serviceaccounts"}),
	}
	c.sync = c.syncNamespace
	enqueue := func(obj any) {
		if ns, ok := obj.(*corev1.Namespace); ok {
			c.queue.Add(ns.Name)
		}
	}
	if _, err := namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return nil, err
	}
	if _, err := serviceAccounts.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj any) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if sa, ok := obj.(*corev1.ServiceAccount); ok && sa.Name == defaultServiceAccountName {
				c.queue.Add(sa.Namespace)
			}
		},
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Run waits for the caches, then works the queue with workers goroutines
// until ctx ends.
func (c *defaultServiceAccounts) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	defer c.queue.ShutDown()
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.hasSynced...) {
		return
	}
	for range workers {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for c.processNextWorkItem(ctx) {
			}
		}, time.Second)
	}
	<-ctx.Done()
}

func (c *defaultServiceAccounts) processNextWorkItem(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	if err := c.sync(ctx, name); err != nil {
		klog.V(2).InfoS("Default service account not created yet", "namespace", name, "err", err)
		c.queue.AddRateLimited(name)
		return true
	}
	c.queue.Forget(name)
	return true
}

// syncNamespace creates the default service account of an active
// namespace that lacks it.
func (c *defaultServiceAccounts) syncNamespace(ctx context.Context, name string) error {
	ns, err := c.namespaces.Get(name)
	if apierrors.IsNotFound(err) || (err == nil && ns.Status.Phase != corev1.NamespaceActive) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := c.serviceAccounts.ServiceAccounts(name).Get(defaultServiceAccountName); err == nil {
		return nil
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: defaultServiceAccountName, Namespace: name}}
	_, err = c.client.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
