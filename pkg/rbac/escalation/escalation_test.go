package escalation

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/aggkit/aggkit/pkg/rbac"
)

var (
	alice  = &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}
	esc    = &user.DefaultInfo{Name: "esc"}
	binder = &user.DefaultInfo{Name: "binder"}
	master = &user.DefaultInfo{Name: "root", Groups: []string{user.SystemPrivilegedGroup}}
	nobody = &user.DefaultInfo{Name: "nobody"}
)

// guardedStores wraps real etcd-backed stores with this package's storage.
type guardedStores struct {
	raw                                                    rbacStores
	roles, clusterRoles, roleBindings, clusterRoleBindings *Storage
}

func newGuardedStores(t *testing.T) guardedStores {
	raw := newRBACStores(t)
	resolver := newResolver(t, heldPolicy()...)
	authz := rbac.New(resolver)
	return guardedStores{
		raw:                 raw,
		roles:               NewRoleStorage(raw.roles, resolver, authz),
		clusterRoles:        NewClusterRoleStorage(raw.clusterRoles, resolver, authz),
		roleBindings:        NewRoleBindingStorage(raw.roleBindings, resolver, authz),
		clusterRoleBindings: NewClusterRoleBindingStorage(raw.clusterRoleBindings, resolver, authz),
	}
}

// storageFor picks the wrapper and resource name for obj.
func (g guardedStores) storageFor(obj runtime.Object) (*Storage, string) {
	switch obj.(type) {
	case *rbacv1.Role:
		return g.roles, "roles"
	case *rbacv1.ClusterRole:
		return g.clusterRoles, "clusterroles"
	case *rbacv1.RoleBinding:
		return g.roleBindings, "rolebindings"
	default:
		return g.clusterRoleBindings, "clusterrolebindings"
	}
}

func newRole(namespace, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Rules: rules}
}

func newClusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func newRoleBinding(namespace, name string, ref rbacv1.RoleRef) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, RoleRef: ref,
		Subjects: []rbacv1.Subject{userSubject("someone")}}
}

func newClusterRoleBinding(name string, ref rbacv1.RoleRef) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, RoleRef: ref,
		Subjects: []rbacv1.Subject{userSubject("someone")}}
}

// outcome is what a write should do: succeed (zero value) or fail with an
// error of the given kind whose message contains every listed line.
type outcome struct {
	is    func(error) bool
	lines []string
}

var succeeds = outcome{}

func forbidden(lines ...string) outcome { return outcome{is: apierrors.IsForbidden, lines: lines} }

func (o outcome) check(t *testing.T, err error) {
	t.Helper()
	if o.is == nil {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	if err == nil || !o.is(err) {
		t.Fatalf("want error of the expected kind, got %v", err)
	}
	for _, line := range o.lines {
		if !strings.Contains(err.Error(), line) {
			t.Errorf("error %q does not mention %q", err.Error(), line)
		}
	}
}

func TestCreate(t *testing.T) {
	stores := newGuardedStores(t)
	tests := []struct {
		name string
		user user.Info
		obj  runtime.Object
		want outcome
	}{
		// Roles: the author must hold the rules in the role's namespace.
		{"role within held cluster-wide rules", alice, newRole("ns1", "r1", rule([]string{"get"}, "", "configmaps")), succeeds},
		{"role within held namespaced rules", alice, newRole("ns1", "r2", rule([]string{"get", "delete"}, "", "secrets")), succeeds},
		{"namespaced rules do not carry to other namespaces", alice, newRole("ns2", "r3", rule([]string{"get"}, "", "secrets")),
			forbidden(`roles.rbac.authorization.k8s.io "r3" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:`,
				`{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`)},
		{"only the missing verbs are listed", alice, newRole("ns2", "r4", rule([]string{"list", "delete", "patch"}, "", "configmaps")),
			forbidden(`not currently held:
{APIGroups:[""], Resources:["configmaps"], Verbs:["delete" "patch"]}`)},
		{"escalate permission skips the check", esc, newRole("ns2", "r5", rule([]string{"*"}, "*", "*")), succeeds},
		{"system:masters skips the check", master, newRole("ns2", "r6", rule([]string{"*"}, "*", "*")), succeeds},
		{"no user", nil, newRole("ns1", "r7", rule([]string{"get"}, "", "configmaps")), forbidden("no user on request")},

		// ClusterRoles: checked against cluster-wide rules only.
		{"cluster role within held rules", alice, newClusterRole("c1", rule([]string{"list"}, "", "configmaps")), succeeds},
		{"cluster role with rules held only in a namespace", alice, newClusterRole("c2", rule([]string{"get"}, "", "secrets")),
			forbidden(`{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`)},
		{"escalate on roles does not cover clusterroles", esc, newClusterRole("c3", rule([]string{"get"}, "", "pods")),
			forbidden(`{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`)},
		{"aggregationRule needs full authority", alice, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "c4"},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"x": "y"}}}}},
			forbidden("must have cluster-admin privileges to use the aggregationRule")},
		{"system:masters may aggregate", master, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "c5"},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"x": "y"}}}}}, succeeds},

		// RoleBindings: hold the role's rules in the binding's namespace, or may bind it there.
		{"bind a role whose rules are held", alice, newRoleBinding("ns1", "b1", clusterRoleRef("cm-reader")), succeeds},
		{"bind a namespaced role whose rules are held", alice,
			newRoleBinding("ns1", "b2", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-admin"}), succeeds},
		{"bind a role whose rules are not held", alice, newRoleBinding("ns1", "b3", clusterRoleRef("admin")),
			forbidden(`rolebindings.rbac.authorization.k8s.io "b3" is forbidden`, `{APIGroups:["*"], Resources:["*"], Verbs:["*"]}`)},
		{"bind permission by name", binder, newRoleBinding("ns1", "b4", clusterRoleRef("admin")), succeeds},
		{"bind permission is limited to its namespace", binder, newRoleBinding("ns2", "b5", clusterRoleRef("admin")), forbidden("not currently held")},
		{"bind permission is limited to its resourceNames", binder, newRoleBinding("ns1", "b6", clusterRoleRef("cm-reader")), forbidden("not currently held")},
		{"bind a missing role", alice, newRoleBinding("ns1", "b7", clusterRoleRef("missing")), outcome{is: apierrors.IsNotFound}},
		{"system:masters binds anything", master, newRoleBinding("ns2", "b8", clusterRoleRef("admin")), succeeds},

		// ClusterRoleBindings: hold the role's rules cluster-wide, or may bind it cluster-wide.
		{"cluster binding of held rules", alice, newClusterRoleBinding("cb1", clusterRoleRef("cm-reader")), succeeds},
		{"cluster binding of unheld rules", alice, newClusterRoleBinding("cb2", clusterRoleRef("admin")), forbidden("not currently held")},
		{"namespaced bind permission does not allow cluster bindings", binder, newClusterRoleBinding("cb3", clusterRoleRef("admin")), forbidden("not currently held")},
		{"nobody binds an empty-handed user", nobody, newClusterRoleBinding("cb4", clusterRoleRef("cm-reader")),
			forbidden(`{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list"]}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storage, resource := stores.storageFor(tc.obj)
			accessor := tc.obj.(metav1.Object)
			ctx := requestContext(tc.user, "create", resource, accessor.GetNamespace(), "")
			_, err := storage.Create(ctx, tc.obj, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
			tc.want.check(t, err)

			// What the store holds must agree with the decision.
			_, getErr := storage.Get(requestContext(master, "get", resource, accessor.GetNamespace(), accessor.GetName()), accessor.GetName(), &metav1.GetOptions{})
			if stored := getErr == nil; stored != (tc.want.is == nil) {
				t.Errorf("stored=%v after the create (get error %v)", stored, getErr)
			}
		})
	}
}

func TestRoleBindingNeedsNamespace(t *testing.T) {
	stores := newGuardedStores(t)
	ctx := requestContext(alice, "create", "rolebindings", "", "")
	_, err := stores.roleBindings.Create(ctx, newRoleBinding("", "b", clusterRoleRef("cm-reader")), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("want BadRequest, got %v", err)
	}
}

// TestUpdate checks the object produced by applying the update, as a patch
// or server-side apply would, not the object sent by the client.
func TestUpdate(t *testing.T) {
	addRule := func(r rbacv1.PolicyRule) rest.TransformFunc {
		return func(_ context.Context, _, old runtime.Object) (runtime.Object, error) {
			role := old.DeepCopyObject().(*rbacv1.Role)
			role.Rules = append(role.Rules, r)
			return role, nil
		}
	}
	addFinalizer := func(_ context.Context, _, old runtime.Object) (runtime.Object, error) {
		role := old.DeepCopyObject().(*rbacv1.Role)
		role.Finalizers = append(role.Finalizers, "example.com/cleanup")
		role.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: "1234"}}
		return role, nil
	}
	setLabel := func(_ context.Context, _, old runtime.Object) (runtime.Object, error) {
		role := old.DeepCopyObject().(*rbacv1.Role)
		role.Labels = map[string]string{"team": "x"}
		return role, nil
	}
	tests := []struct {
		name      string
		user      user.Info
		namespace string
		update    rest.TransformFunc
		want      outcome
	}{
		{"adding a held rule", alice, "ns1", addRule(rule([]string{"list"}, "", "secrets")), succeeds},
		{"adding an unheld rule", alice, "ns2", addRule(rule([]string{"list"}, "", "secrets")),
			forbidden(`roles.rbac.authorization.k8s.io "held" is forbidden`, `{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}`)},
		// The stored role grants secrets in ns2, which alice lacks there: any
		// real change re-checks all its rules...
		{"unrelated change to a role with unheld rules", alice, "ns2", setLabel, forbidden("not currently held")},
		// ...but garbage collection bookkeeping must always go through.
		{"only GC fields change", nobody, "ns2", addFinalizer, succeeds},
		{"system:masters updates anything", master, "ns2", addRule(rule([]string{"*"}, "*", "*")), succeeds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stores := newGuardedStores(t)
			seed := newRole(tc.namespace, "held", rule([]string{"get"}, "", "secrets"))
			created, err := stores.roles.Create(requestContext(master, "create", "roles", tc.namespace, ""), seed, nil, &metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := requestContext(tc.user, "update", "roles", tc.namespace, "held")
			_, _, err = stores.roles.Update(ctx, "held", rest.DefaultUpdatedObjectInfo(nil, tc.update), nil, nil, false, &metav1.UpdateOptions{})
			tc.want.check(t, err)

			got, err := stores.raw.roles.Get(requestContext(master, "get", "roles", tc.namespace, "held"), "held", &metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			written := got.(*rbacv1.Role).ResourceVersion != created.(*rbacv1.Role).ResourceVersion
			if written != (tc.want.is == nil) {
				t.Errorf("written=%v after the update", written)
			}
		})
	}
}
