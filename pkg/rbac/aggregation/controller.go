package aggregation

import (
	"context"
	"fmt"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// ControllerName names the controller in logs and its workqueue.
const ControllerName = "clusterrole-aggregation"

// Controller keeps aggregated ClusterRoles' rules up to date. Any change to
// any ClusterRole enqueues every aggregated ClusterRole, by name.
type Controller struct {
	client rbacclient.ClusterRolesGetter
	lister rbaclisters.ClusterRoleLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]

	// sync reconciles the named ClusterRole. It is a field so tests can
	// observe or replace it.
	sync func(ctx context.Context, name string) error
}

// NewController returns a controller reading ClusterRoles from informer and
// writing them through client. Start the informer's factory, then call Run.
func NewController(informer rbacinformers.ClusterRoleInformer, client rbacclient.ClusterRolesGetter) (*Controller, error) {
	c := &Controller{
		client: client,
		lister: informer.Lister(),
		synced: informer.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: ControllerName}),
	}
	c.sync = c.syncClusterRole
	_, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.enqueueAggregated() },
		UpdateFunc: func(any, any) { c.enqueueAggregated() },
		DeleteFunc: func(any) { c.enqueueAggregated() },
	})
	if err != nil {
		return nil, fmt.Errorf("%s: add event handler: %w", ControllerName, err)
	}
	return c, nil
}

// Run waits for the informer cache, then runs workers until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx).WithValues("controller", ControllerName)
	logger.Info("Starting")
	defer logger.Info("Shutting down")

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced) {
		return
	}
	for range workers {
		go wait.UntilWithContext(ctx, c.runWorker, time.Second)
	}
	<-ctx.Done()
}

// enqueueAggregated queues every ClusterRole that has an aggregationRule:
// any ClusterRole's change (labels or rules) may change what they gather.
func (c *Controller) enqueueAggregated() {
	roles, err := c.lister.List(labels.Everything())
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("%s: list clusterroles: %w", ControllerName, err))
		return
	}
	for _, r := range roles {
		if r.AggregationRule != nil {
			c.queue.Add(r.Name)
		}
	}
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *Controller) processNext(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	if err := c.sync(ctx, name); err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Aggregating ClusterRole failed, will retry", "clusterrole", name)
		c.queue.AddRateLimited(name)
		return true
	}
	c.queue.Forget(name)
	return true
}

// syncClusterRole sets the rules of the named ClusterRole to what its
// aggregationRule gathers, writing only when they differ.
func (c *Controller) syncClusterRole(ctx context.Context, name string) error {
	role, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get clusterrole %s: %w", name, err)
	}
	if role.AggregationRule == nil {
		return nil
	}
	rules, err := aggregatedRules(role, c.lister)
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(rules, role.Rules) {
		return nil
	}
	updated := role.DeepCopy()
	updated.Rules = rules
	// On a conflict the cache is behind: the retry reads the newer object.
	if _, err := c.client.ClusterRoles().Update(ctx, updated, metav1.UpdateOptions{FieldManager: ControllerName}); err != nil {
		return fmt.Errorf("update clusterrole %s: %w", name, err)
	}
	klog.FromContext(ctx).V(2).Info("Aggregated ClusterRole rules", "clusterrole", name, "rules", len(rules))
	return nil
}
