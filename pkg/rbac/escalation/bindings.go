package escalation

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/aggkit/aggkit/pkg/rbac"
)

// NewRoleBindingStorage wraps the RoleBinding store so that a binding can
// only be written by a user who holds every rule of the referenced role in
// the binding's namespace, or who may "bind" that role there.
func NewRoleBindingStorage(store *genericregistry.Store, resolver rbac.AuthorizationRuleResolver, authz authorizer.Authorizer) *Storage {
	return &Storage{Store: store, guard: bindingGuard{resource: roleBindingsResource, namespaced: true, resolver: resolver, authz: authz, roleRefOf: roleBindingRef}}
}

// NewClusterRoleBindingStorage wraps the ClusterRoleBinding store like
// NewRoleBindingStorage, checking cluster-wide.
func NewClusterRoleBindingStorage(store *genericregistry.Store, resolver rbac.AuthorizationRuleResolver, authz authorizer.Authorizer) *Storage {
	return &Storage{Store: store, guard: bindingGuard{resource: clusterRoleBindingsResource, resolver: resolver, authz: authz, roleRefOf: clusterRoleBindingRef}}
}

// bindingGuard admits RoleBindings and ClusterRoleBindings.
type bindingGuard struct {
	resource   schema.GroupResource
	namespaced bool
	resolver   rbac.AuthorizationRuleResolver
	authz      authorizer.Authorizer
	// roleRefOf returns the binding's name and the role it references.
	roleRefOf func(runtime.Object) (string, rbacv1.RoleRef, error)
}

func (g bindingGuard) admit(ctx context.Context, obj runtime.Object) error {
	if isPrivileged(ctx) {
		return nil
	}
	// The request namespace, not the object's: the store fills the object's
	// namespace from the request only after this check.
	namespace := ""
	if g.namespaced {
		var ok bool
		if namespace, ok = genericapirequest.NamespaceFrom(ctx); !ok || namespace == "" {
			return apierrors.NewBadRequest("namespace is required")
		}
	}
	name, roleRef, err := g.roleRefOf(obj)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	if bindAuthorized(ctx, g.authz, roleRef, namespace) {
		return nil
	}
	rules, err := g.resolver.GetRoleReferenceRules(ctx, roleRef, namespace)
	if err != nil {
		// As kube-apiserver: binding a missing role needs bind permission.
		return err
	}
	if err := ConfirmNoEscalation(ctx, g.resolver, rules); err != nil {
		return apierrors.NewForbidden(g.resource, name, err)
	}
	return nil
}

func roleBindingRef(obj runtime.Object) (string, rbacv1.RoleRef, error) {
	b, ok := obj.(*rbacv1.RoleBinding)
	if !ok {
		return "", rbacv1.RoleRef{}, fmt.Errorf("expected a RoleBinding, got %T", obj)
	}
	return b.Name, b.RoleRef, nil
}

func clusterRoleBindingRef(obj runtime.Object) (string, rbacv1.RoleRef, error) {
	b, ok := obj.(*rbacv1.ClusterRoleBinding)
	if !ok {
		return "", rbacv1.RoleRef{}, fmt.Errorf("expected a ClusterRoleBinding, got %T", obj)
	}
	return b.Name, b.RoleRef, nil
}
