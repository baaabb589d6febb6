package escalation

import (
	"context"
	"errors"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/aggkit/aggkit/pkg/rbac"
)

// fullAuthority is what setting an aggregationRule requires: it can gather
// any rule, so only someone who holds every rule may set it.
var fullAuthority = []rbacv1.PolicyRule{
	{Verbs: []string{rbacv1.VerbAll}, APIGroups: []string{rbacv1.APIGroupAll}, Resources: []string{rbacv1.ResourceAll}},
	{Verbs: []string{rbacv1.VerbAll}, NonResourceURLs: []string{rbacv1.NonResourceAll}},
}

// NewRoleStorage wraps the Role store so that Roles can only grant what
// their author holds in the Role's namespace, or be written by a user
// allowed to "escalate" on roles.
func NewRoleStorage(store *genericregistry.Store, resolver rbac.AuthorizationRuleResolver, authz authorizer.Authorizer) *Storage {
	return &Storage{Store: store, guard: roleGuard{resource: rolesResource, resolver: resolver, authz: authz, rulesOf: roleRules}}
}

// NewClusterRoleStorage wraps the ClusterRole store like NewRoleStorage,
// checking against cluster-wide rules. Setting an aggregationRule also
// requires holding every permission, since it can collect any rule.
func NewClusterRoleStorage(store *genericregistry.Store, resolver rbac.AuthorizationRuleResolver, authz authorizer.Authorizer) *Storage {
	return &Storage{Store: store, guard: roleGuard{resource: clusterRolesResource, resolver: resolver, authz: authz, rulesOf: clusterRoleRules}}
}

// roleGuard admits Roles and ClusterRoles.
type roleGuard struct {
	resource schema.GroupResource
	resolver rbac.AuthorizationRuleResolver
	authz    authorizer.Authorizer
	// rulesOf returns the object's name, its rules and whether it aggregates.
	rulesOf func(runtime.Object) (string, []rbacv1.PolicyRule, bool, error)
}

func (g roleGuard) admit(ctx context.Context, obj runtime.Object) error {
	if isPrivileged(ctx) || escalateAuthorized(ctx, g.authz, g.resource) {
		return nil
	}
	name, rules, aggregated, err := g.rulesOf(obj)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	if err := ConfirmNoEscalation(ctx, g.resolver, rules); err != nil {
		return apierrors.NewForbidden(g.resource, name, err)
	}
	if aggregated {
		if err := ConfirmNoEscalation(ctx, g.resolver, fullAuthority); err != nil {
			return apierrors.NewForbidden(g.resource, name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
		}
	}
	return nil
}

func roleRules(obj runtime.Object) (string, []rbacv1.PolicyRule, bool, error) {
	role, ok := obj.(*rbacv1.Role)
	if !ok {
		return "", nil, false, fmt.Errorf("expected a Role, got %T", obj)
	}
	return role.Name, role.Rules, false, nil
}

func clusterRoleRules(obj runtime.Object) (string, []rbacv1.PolicyRule, bool, error) {
	role, ok := obj.(*rbacv1.ClusterRole)
	if !ok {
		return "", nil, false, fmt.Errorf("expected a ClusterRole, got %T", obj)
	}
	aggregated := role.AggregationRule != nil && len(role.AggregationRule.ClusterRoleSelectors) > 0
	return role.Name, role.Rules, aggregated, nil
}
