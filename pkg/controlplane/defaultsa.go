package controlplane

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// defaultServiceAccountName is the account every namespace gets, as
// kube-controller-manager's service-account controller ensures; `kubectl
// create token default` and many manifests assume it.
const defaultServiceAccountName = "default"

// runDefaultServiceAccounts ensures every active namespace has its default
// service account, until ctx ends.
func (s *Server) runDefaultServiceAccounts(ctx context.Context) {
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "default-serviceaccounts"})
	defer queue.ShutDown()
	namespaces := s.Informers.Core().V1().Namespaces()
	enqueue := func(obj any) {
		if ns, ok := obj.(*corev1.Namespace); ok {
			queue.Add(ns.Name)
		}
	}
	if _, err := namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		utilruntime.HandleError(err)
		return
	}
	serviceAccounts := s.Informers.Core().V1().ServiceAccounts()
	if _, err := serviceAccounts.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj any) {
			if sa, ok := obj.(*corev1.ServiceAccount); ok && sa.Name == defaultServiceAccountName {
				queue.Add(sa.Namespace)
			}
		},
	}); err != nil {
		utilruntime.HandleError(err)
		return
	}
	s.Informers.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), namespaces.Informer().HasSynced, serviceAccounts.Informer().HasSynced) {
		return
	}
	sync := func(ctx context.Context, name string) error {
		ns, err := namespaces.Lister().Get(name)
		if apierrors.IsNotFound(err) || (err == nil && ns.Status.Phase != corev1.NamespaceActive) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := serviceAccounts.Lister().ServiceAccounts(name).Get(defaultServiceAccountName); err == nil {
			return nil
		}
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: defaultServiceAccountName, Namespace: name}}
		_, err = s.Client.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for {
			name, shutdown := queue.Get()
			if shutdown {
				return
			}
			if err := sync(ctx, name); err != nil {
				klog.V(2).InfoS("Default service account not created yet", "namespace", name, "err", err)
				queue.AddRateLimited(name)
			} else {
				queue.Forget(name)
			}
			queue.Done(name)
		}
	}, time.Second)
	<-ctx.Done()
}
