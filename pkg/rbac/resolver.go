package rbac

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/user"
)

// RoleGetter finds a namespaced Role.
type RoleGetter interface {
	GetRole(ctx context.Context, namespace, name string) (*rbacv1.Role, error)
}

// RoleBindingLister lists the RoleBindings of one namespace.
type RoleBindingLister interface {
	ListRoleBindings(ctx context.Context, namespace string) ([]*rbacv1.RoleBinding, error)
}

// ClusterRoleGetter finds a ClusterRole.
type ClusterRoleGetter interface {
	GetClusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error)
}

// ClusterRoleBindingLister lists all ClusterRoleBindings.
type ClusterRoleBindingLister interface {
	ListClusterRoleBindings(ctx context.Context) ([]*rbacv1.ClusterRoleBinding, error)
}

// RuleVisitor is called for each rule that applies to a user, with the
// binding it came from, or with a non-nil err for a binding whose rules could
// not be resolved (source and rule are then nil). Returning false stops the walk.
type RuleVisitor func(source fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool

// AuthorizationRuleResolver resolves the PolicyRules that apply to a user.
// Errors are not fatal: the rules returned alongside them are the ones that
// could be resolved.
type AuthorizationRuleResolver interface {
	// GetRoleReferenceRules returns the rules of the Role or ClusterRole that
	// roleRef names; namespace is the binding's namespace.
	GetRoleReferenceRules(ctx context.Context, roleRef rbacv1.RoleRef, namespace string) ([]rbacv1.PolicyRule, error)
	// RulesFor returns the cluster-wide rules of u plus, when namespace is
	// set, the rules bound to u in that namespace.
	RulesFor(ctx context.Context, u user.Info, namespace string) ([]rbacv1.PolicyRule, error)
	// VisitRulesFor walks the same rules as RulesFor, stopping when visit
	// returns false.
	VisitRulesFor(ctx context.Context, u user.Info, namespace string, visit RuleVisitor)
}

// Resolver is the AuthorizationRuleResolver over the four RBAC object kinds.
// All fields are required.
type Resolver struct {
	Roles               RoleGetter
	RoleBindings        RoleBindingLister
	ClusterRoles        ClusterRoleGetter
	ClusterRoleBindings ClusterRoleBindingLister
}

var _ AuthorizationRuleResolver = &Resolver{}

// GetRoleReferenceRules implements AuthorizationRuleResolver.
func (r *Resolver) GetRoleReferenceRules(ctx context.Context, roleRef rbacv1.RoleRef, namespace string) ([]rbacv1.PolicyRule, error) {
	switch roleRef.Kind {
	case "Role":
		role, err := r.Roles.GetRole(ctx, namespace, roleRef.Name)
		if err != nil {
			return nil, err
		}
		return role.Rules, nil
	case "ClusterRole":
		role, err := r.ClusterRoles.GetClusterRole(ctx, roleRef.Name)
		if err != nil {
			return nil, err
		}
		return role.Rules, nil
	default:
		return nil, fmt.Errorf("unsupported role reference kind: %q", roleRef.Kind)
	}
}

// RulesFor implements AuthorizationRuleResolver.
func (r *Resolver) RulesFor(ctx context.Context, u user.Info, namespace string) ([]rbacv1.PolicyRule, error) {
	var rules []rbacv1.PolicyRule
	var errs []error
	r.VisitRulesFor(ctx, u, namespace, func(_ fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool {
		if rule != nil {
			rules = append(rules, *rule)
		}
		if err != nil {
			errs = append(errs, err)
		}
		return true
	})
	return rules, utilerrors.NewAggregate(errs)
}

// VisitRulesFor implements AuthorizationRuleResolver. ClusterRoleBindings
// are visited first, then the RoleBindings of namespace.
func (r *Resolver) VisitRulesFor(ctx context.Context, u user.Info, namespace string, visit RuleVisitor) {
	if u == nil {
		// No user, no subject to match: nothing is bound.
		return
	}
	if !r.visitClusterRoleBindings(ctx, u, visit) {
		return
	}
	if namespace != "" {
		r.visitRoleBindings(ctx, u, namespace, visit)
	}
}

func (r *Resolver) visitClusterRoleBindings(ctx context.Context, u user.Info, visit RuleVisitor) bool {
	bindings, err := r.ClusterRoleBindings.ListClusterRoleBindings(ctx)
	if err != nil {
		return visit(nil, nil, fmt.Errorf("list clusterrolebindings: %w", err))
	}
	for _, b := range bindings {
		i, ok := appliesTo(u, b.Subjects, "")
		if !ok {
			continue
		}
		source := bindingSource{kind: "ClusterRoleBinding", name: b.Name, roleRef: b.RoleRef, subject: b.Subjects[i]}
		if !r.visitRoleRef(ctx, source, "", visit) {
			return false
		}
	}
	return true
}

func (r *Resolver) visitRoleBindings(ctx context.Context, u user.Info, namespace string, visit RuleVisitor) {
	bindings, err := r.RoleBindings.ListRoleBindings(ctx, namespace)
	if err != nil {
		visit(nil, nil, fmt.Errorf("list rolebindings in %q: %w", namespace, err))
		return
	}
	for _, b := range bindings {
		i, ok := appliesTo(u, b.Subjects, namespace)
		if !ok {
			continue
		}
		source := bindingSource{kind: "RoleBinding", name: b.Name, namespace: namespace, roleRef: b.RoleRef, subject: b.Subjects[i]}
		if !r.visitRoleRef(ctx, source, namespace, visit) {
			return
		}
	}
}

// visitRoleRef visits every rule of the role a binding refers to.
func (r *Resolver) visitRoleRef(ctx context.Context, source bindingSource, namespace string, visit RuleVisitor) bool {
	rules, err := r.GetRoleReferenceRules(ctx, source.roleRef, namespace)
	if err != nil {
		return visit(nil, nil, err)
	}
	for i := range rules {
		if !visit(source, &rules[i], nil) {
			return false
		}
	}
	return true
}
