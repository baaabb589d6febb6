package nsdelete

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// retryFailedDiscoveryAfter is how long a snapshot that missed some groups is
// reused before discovery is asked again. Syncs of many namespaces within this
// window share one attempt instead of each hitting a failing group.
const retryFailedDiscoveryAfter = time.Second

// deletableResource is one namespaced resource type whose objects the
// controller can remove.
type deletableResource struct {
	gvr schema.GroupVersionResource
	// deleteCollection is true when the type serves the deletecollection verb;
	// otherwise its objects are listed and deleted one by one.
	deleteCollection bool
	// list is true when the type can be listed, which is how the controller
	// both finds objects to delete one by one and checks that none remain.
	list bool
}

// catalogSnapshot is the result of one discovery round. It is never changed
// after it is built, so callers may read it without locking.
type catalogSnapshot struct {
	// takenAt is when discovery started; the snapshot knows every type that
	// was served at that moment.
	takenAt time.Time
	// resources are sorted by group, version and resource so deletion order
	// is stable.
	resources []deletableResource
	// discoveryErr is set when discovery failed, fully or for some groups.
	// resources then holds what could be discovered.
	discoveryErr error
	// parseErr is set when some group/version strings could not be parsed.
	parseErr error
}

// resourceCatalog caches one discovery snapshot so that a burst of namespace
// deletions shares a single discovery round.
type resourceCatalog struct {
	discovery discovery.DiscoveryInterface
	clock     clock.PassiveClock

	mu      sync.Mutex
	current *catalogSnapshot
}

func newResourceCatalog(d discovery.DiscoveryInterface, c clock.PassiveClock) *resourceCatalog {
	return &resourceCatalog{discovery: d, clock: c}
}

// snapshot returns a snapshot taken no earlier than notBefore, running
// discovery when the cached one is older, was invalidated, or missed groups
// and is old enough to retry. Passing a time after the namespace's deletion
// guarantees that every type that could hold objects of that namespace is
// known, which is why the cache is safe to share.
func (c *resourceCatalog) snapshot(ctx context.Context, notBefore time.Time) *catalogSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.current; cur != nil && !cur.takenAt.Before(notBefore) &&
		(cur.discoveryErr == nil || c.clock.Since(cur.takenAt) < retryFailedDiscoveryAfter) {
		return cur
	}
	c.current = c.discover(ctx)
	return c.current
}

// invalidate drops the cached snapshot; the next caller runs discovery. Used
// when a discovered type turns out not to be served any more.
func (c *resourceCatalog) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.current = nil
}

func (c *resourceCatalog) discover(ctx context.Context) *catalogSnapshot {
	snap := &catalogSnapshot{takenAt: c.clock.Now()}
	// Preferred versions only: every version of a group serves the same
	// objects, so deleting through one of them is enough.
	lists, err := discovery.ServerPreferredNamespacedResourcesWithContext(ctx, discovery.ToDiscoveryInterfaceWithContext(c.discovery))
	if err != nil {
		snap.discoveryErr = err
		klog.FromContext(ctx).V(2).Info("Namespace deletion discovery failed", "err", err)
	}
	var parseErrs []string
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			parseErrs = append(parseErrs, fmt.Sprintf("%q: %v", list.GroupVersion, err))
			continue
		}
		for _, r := range list.APIResources {
			if res, ok := deletable(gv, r); ok {
				snap.resources = append(snap.resources, res)
			}
		}
	}
	if len(parseErrs) > 0 {
		slices.Sort(parseErrs)
		snap.parseErr = fmt.Errorf("unparsable group versions in discovery: %v", parseErrs)
	}
	slices.SortFunc(snap.resources, func(a, b deletableResource) int {
		return compareGVR(a.gvr, b.gvr)
	})
	return snap
}

// deletable reports whether objects of r can be removed from a namespace: the
// type must be namespaced, serve delete, and offer either deletecollection or
// list so its objects can be found.
func deletable(gv schema.GroupVersion, r metav1.APIResource) (deletableResource, bool) {
	verbs := r.Verbs
	res := deletableResource{
		gvr:              gv.WithResource(r.Name),
		deleteCollection: slices.Contains(verbs, "deletecollection"),
		list:             slices.Contains(verbs, "list"),
	}
	ok := r.Namespaced && slices.Contains(verbs, "delete") && (res.deleteCollection || res.list)
	return res, ok
}

func compareGVR(a, b schema.GroupVersionResource) int {
	return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Resource, b.Resource))
}
