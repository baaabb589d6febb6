package rbac

import (
	"context"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
)

// NewResolverFromListers returns a Resolver reading from client-go listers
// (informer caches), which is what the request path should use.
func NewResolverFromListers(roles rbaclisters.RoleLister, roleBindings rbaclisters.RoleBindingLister,
	clusterRoles rbaclisters.ClusterRoleLister, clusterRoleBindings rbaclisters.ClusterRoleBindingLister) *Resolver {
	return &Resolver{
		Roles:               roleGetter{roles},
		RoleBindings:        roleBindingLister{roleBindings},
		ClusterRoles:        clusterRoleGetter{clusterRoles},
		ClusterRoleBindings: clusterRoleBindingLister{clusterRoleBindings},
	}
}

// NewResolverFromInformers returns a Resolver over the listers of the given
// RBAC informers. It registers the four informers with their factory, so call
// it before the factory's Start.
func NewResolverFromInformers(informers rbacinformers.Interface) *Resolver {
	return NewResolverFromListers(informers.Roles().Lister(), informers.RoleBindings().Lister(),
		informers.ClusterRoles().Lister(), informers.ClusterRoleBindings().Lister())
}

// NewFromInformers returns the RBAC Authorizer over the given informers; see
// NewResolverFromInformers.
func NewFromInformers(informers rbacinformers.Interface) *Authorizer {
	return New(NewResolverFromInformers(informers))
}

type roleGetter struct{ lister rbaclisters.RoleLister }

func (g roleGetter) GetRole(_ context.Context, namespace, name string) (*rbacv1.Role, error) {
	return g.lister.Roles(namespace).Get(name)
}

type roleBindingLister struct{ lister rbaclisters.RoleBindingLister }

func (l roleBindingLister) ListRoleBindings(_ context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	return l.lister.RoleBindings(namespace).List(labels.Everything())
}

type clusterRoleGetter struct{ lister rbaclisters.ClusterRoleLister }

func (g clusterRoleGetter) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	return g.lister.Get(name)
}

type clusterRoleBindingLister struct {
	lister rbaclisters.ClusterRoleBindingLister
}

func (l clusterRoleBindingLister) ListClusterRoleBindings(_ context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	return l.lister.List(labels.Everything())
}
