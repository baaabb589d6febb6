package escalation

import (
	"context"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/aggkit/aggkit/pkg/rbac"
)

// heldPolicy is what the users of these tests hold. The rules are resolved by
// the real rbac.Resolver over client-go listers, and "escalate"/"bind" are
// decided by the real rbac.Authorizer.
//
//	alice:  get/list configmaps everywhere; everything on secrets in ns1
//	esc:    escalate on roles (no names)
//	binder: bind the ClusterRole "admin", in ns1 only
func heldPolicy() []runtime.Object {
	return []runtime.Object{
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cm-reader"},
			Rules: []rbacv1.PolicyRule{rule([]string{"get", "list"}, "", "configmaps")}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "admin"},
			Rules: []rbacv1.PolicyRule{rule([]string{"*"}, "*", "*")}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "role-escalator"},
			Rules: []rbacv1.PolicyRule{rule([]string{"escalate"}, rbacv1.GroupName, "roles")}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "admin-binder"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"bind"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, ResourceNames: []string{"admin"}}}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "secret-admin"},
			Rules: []rbacv1.PolicyRule{rule([]string{"*"}, "", "secrets")}},

		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-cm"},
			RoleRef: clusterRoleRef("cm-reader"), Subjects: []rbacv1.Subject{userSubject("alice")}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "esc"},
			RoleRef: clusterRoleRef("role-escalator"), Subjects: []rbacv1.Subject{userSubject("esc")}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "alice-secrets"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-admin"},
			Subjects: []rbacv1.Subject{userSubject("alice")}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "binder"},
			RoleRef: clusterRoleRef("admin-binder"), Subjects: []rbacv1.Subject{userSubject("binder")}},
	}
}

func newResolver(t *testing.T, objs ...runtime.Object) *rbac.Resolver {
	t.Helper()
	newIndexer := func() cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	roles, roleBindings, clusterRoles, clusterRoleBindings := newIndexer(), newIndexer(), newIndexer(), newIndexer()
	for _, o := range objs {
		var target cache.Indexer
		switch o.(type) {
		case *rbacv1.Role:
			target = roles
		case *rbacv1.RoleBinding:
			target = roleBindings
		case *rbacv1.ClusterRole:
			target = clusterRoles
		case *rbacv1.ClusterRoleBinding:
			target = clusterRoleBindings
		default:
			t.Fatalf("unexpected fixture %T", o)
		}
		if err := target.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return rbac.NewResolverFromListers(rbaclisters.NewRoleLister(roles), rbaclisters.NewRoleBindingLister(roleBindings),
		rbaclisters.NewClusterRoleLister(clusterRoles), rbaclisters.NewClusterRoleBindingLister(clusterRoleBindings))
}

func rule(verbs []string, group, resource string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: []string{group}, Resources: []string{resource}}
}

func clusterRoleRef(name string) rbacv1.RoleRef {
	return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}
}

func userSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

// requestContext is the context the apiserver's filters build for a request
// by u to verb resource in namespace (cluster-scoped when ""), naming name.
func requestContext(u user.Info, verb, resource, namespace, name string) context.Context {
	ctx := context.Background()
	if u != nil {
		ctx = genericapirequest.WithUser(ctx, u)
	}
	// The apiserver always sets the namespace, to "" for cluster scope.
	ctx = genericapirequest.WithNamespace(ctx, namespace)
	return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: verb, APIGroup: rbacv1.GroupName, APIVersion: "v1",
		Resource: resource, Namespace: namespace, Name: name,
	})
}
