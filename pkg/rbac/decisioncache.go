package rbac

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apiserver/pkg/authorization/authorizer"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	"k8s.io/client-go/tools/cache"
)

// maxCachedDecisions bounds the cache; it is emptied when full.
const maxCachedDecisions = 4096

// DecisionCache remembers an authorizer's decisions per user, groups and
// request attributes until any Role, ClusterRole or binding changes. A
// user outside system:masters otherwise walks every ClusterRoleBinding on
// every request.
//
// Staleness is bounded by the informers, not by a clock: every RBAC event
// empties the cache, and a decision computed while an event arrived is not
// kept. Events are delivered just after the informer's store is updated,
// so a change is honoured at most that delivery later than without the
// cache.
type DecisionCache struct {
	inner authorizer.Authorizer

	mu         sync.RWMutex
	generation uint64 // bumped by every RBAC event
	decisions  map[string]cachedDecision
}

type cachedDecision struct {
	decision authorizer.Decision
	reason   string
}

var _ authorizer.Authorizer = &DecisionCache{}

// NewDecisionCache caches inner's decisions and forgets them on every
// event of the four RBAC informers. inner must decide from those objects
// and the request's user name, groups and resource attributes only, as
// RBAC does.
func NewDecisionCache(inner authorizer.Authorizer, informers rbacinformers.Interface) (*DecisionCache, error) {
	c := &DecisionCache{inner: inner, decisions: map[string]cachedDecision{}}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.invalidate() },
		UpdateFunc: func(any, any) { c.invalidate() },
		DeleteFunc: func(any) { c.invalidate() },
	}
	for _, informer := range []cache.SharedIndexInformer{informers.Roles().Informer(), informers.RoleBindings().Informer(),
		informers.ClusterRoles().Informer(), informers.ClusterRoleBindings().Informer()} {
		if _, err := informer.AddEventHandler(handler); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *DecisionCache) invalidate() {
	c.mu.Lock()
	c.generation++
	clear(c.decisions)
	c.mu.Unlock()
}

// Authorize implements authorizer.Authorizer. Errors are not cached.
func (c *DecisionCache) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	key := decisionKey(attrs)
	c.mu.RLock()
	cached, ok := c.decisions[key]
	generation := c.generation
	c.mu.RUnlock()
	if ok {
		return cached.decision, cached.reason, nil
	}
	decision, reason, err := c.inner.Authorize(ctx, attrs)
	if err != nil {
		return decision, reason, err
	}
	c.mu.Lock()
	if c.generation == generation { // no RBAC change while deciding
		if len(c.decisions) >= maxCachedDecisions {
			clear(c.decisions)
		}
		c.decisions[key] = cachedDecision{decision: decision, reason: reason}
	}
	c.mu.Unlock()
	return decision, reason, nil
}

// ConditionsAwareAuthorize implements authorizer.Authorizer with
// Authorize's decision: RBAC has no conditions.
func (c *DecisionCache) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(c.Authorize(ctx, attrs))
}

// EvaluateConditions implements authorizer.Authorizer by asking inner.
func (c *DecisionCache) EvaluateConditions(ctx context.Context, d authorizer.ConditionsAwareDecision, data authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return c.inner.EvaluateConditions(ctx, d, data)
}

// decisionKey holds everything RBAC decides on: the user's name and
// groups, and the request's attributes. Each part is length-prefixed, so
// no two different requests share a key whatever bytes their parts hold.
func decisionKey(attrs authorizer.Attributes) string {
	var b strings.Builder
	part := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	if u := attrs.GetUser(); u != nil {
		part(u.GetName())
		groups := u.GetGroups()
		part(strconv.Itoa(len(groups)))
		for _, g := range groups {
			part(g)
		}
	} else {
		part("") // no user: RBAC binds nothing to it
		part("-")
	}
	if attrs.IsResourceRequest() {
		part("r")
		part(attrs.GetVerb())
		part(attrs.GetNamespace())
		part(attrs.GetAPIGroup())
		part(attrs.GetResource())
		part(attrs.GetSubresource())
		part(attrs.GetName())
	} else {
		part("n")
		part(attrs.GetVerb())
		part(attrs.GetPath())
	}
	return b.String()
}
