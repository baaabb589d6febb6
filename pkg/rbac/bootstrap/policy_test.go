package bootstrap

import (
	"context"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/aggkit/aggkit/pkg/rbac"
)

func TestPolicyMetadata(t *testing.T) {
	var metas []metav1.ObjectMeta
	for _, r := range ClusterRoles() {
		metas = append(metas, r.ObjectMeta)
	}
	for _, b := range ClusterRoleBindings() {
		metas = append(metas, b.ObjectMeta)
	}
	for _, r := range NamespaceRoles() {
		metas = append(metas, r.ObjectMeta)
	}
	for _, m := range metas {
		if m.Labels[BootstrappingLabel] != BootstrappingValue {
			t.Errorf("%s: missing label %s=%s", m.Name, BootstrappingLabel, BootstrappingValue)
		}
		if m.Annotations[rbacv1.AutoUpdateAnnotationKey] != "true" {
			t.Errorf("%s: missing annotation %s=true", m.Name, rbacv1.AutoUpdateAnnotationKey)
		}
	}
}

// TestAggregationChain pins which roles gather which: view into edit into
// admin, and each system:aggregate-to-* into its role.
func TestAggregationChain(t *testing.T) {
	roles := map[string]rbacv1.ClusterRole{}
	for _, r := range ClusterRoles() {
		roles[r.Name] = r
	}
	tests := []struct{ aggregator, member string }{
		{"admin", "edit"}, {"edit", "view"},
		{"admin", "system:aggregate-to-admin"}, {"edit", "system:aggregate-to-edit"}, {"view", "system:aggregate-to-view"},
	}
	for _, tc := range tests {
		agg, member := roles[tc.aggregator], roles[tc.member]
		if agg.AggregationRule == nil || len(agg.Rules) != 0 {
			t.Fatalf("%s must be aggregated with no rules of its own", tc.aggregator)
		}
		selects := false
		for _, sel := range agg.AggregationRule.ClusterRoleSelectors {
			matches := true
			for k, v := range sel.MatchLabels {
				matches = matches && member.Labels[k] == v
			}
			selects = selects || matches
		}
		if !selects {
			t.Errorf("%s does not select %s", tc.aggregator, tc.member)
		}
	}
}

// TestPolicyDecisions runs the real RBAC authorizer over the bootstrap policy.
func TestPolicyDecisions(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	client := fake.NewClientset()
	for _, r := range ClusterRoles() {
		if _, err := client.RbacV1().ClusterRoles().Create(ctx, &r, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range ClusterRoleBindings() {
		if _, err := client.RbacV1().ClusterRoleBindings().Create(ctx, &b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range NamespaceRoles() {
		if _, err := client.RbacV1().Roles(r.Namespace).Create(ctx, &r, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// How an extension apiserver is usually granted the reader role.
	reader := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: SystemNamespace, Name: "ext-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "extension-apiserver-authentication-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "ext", Name: "apiserver"}},
	}
	delegator := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ext-delegator"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:auth-delegator"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "ext", Name: "apiserver"}},
	}
	if _, err := client.RbacV1().RoleBindings(SystemNamespace).Create(ctx, reader, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RbacV1().ClusterRoleBindings().Create(ctx, delegator, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	authz := rbac.NewFromInformers(factory.Rbac().V1())
	factory.Start(ctx.Done())
	defer func() { cancel(); factory.Shutdown() }()
	factory.WaitForCacheSync(ctx.Done())

	authenticated := &user.DefaultInfo{Name: "jane", Groups: []string{user.AllAuthenticated}}
	anonymous := &user.DefaultInfo{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
	admin := &user.DefaultInfo{Name: "root", Groups: []string{user.SystemPrivilegedGroup}}
	extension := &user.DefaultInfo{Name: "system:serviceaccount:ext:apiserver", Groups: []string{user.AllAuthenticated}}
	url := func(u user.Info, path string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: "get", Path: path}
	}
	res := func(u user.Info, verb, group, resource, ns, name string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, APIGroup: group, Resource: resource, Namespace: ns, Name: name, ResourceRequest: true}
	}
	tests := []struct {
		name  string
		attrs authorizer.AttributesRecord
		allow bool
	}{
		{"authenticated discovery", url(authenticated, "/apis/rbac.authorization.k8s.io/v1"), true},
		{"authenticated openapi", url(authenticated, "/openapi/v3"), true},
		{"anonymous health", url(anonymous, "/readyz"), true},
		{"anonymous version", url(anonymous, "/version"), true},
		{"anonymous named check", url(anonymous, "/readyz/etcd"), true},
		{"anonymous has no metrics", url(anonymous, "/metrics"), false},
		{"anonymous has no discovery", url(anonymous, "/api"), false},
		{"authenticated may not read metrics", url(authenticated, "/metrics"), false},
		{"self subject access review", res(authenticated, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", ""), true},
		{"self subject rules review", res(authenticated, "create", "authorization.k8s.io", "selfsubjectrulesreviews", "", ""), true},
		{"self subject review", res(authenticated, "create", "authentication.k8s.io", "selfsubjectreviews", "", ""), true},
		{"subject access review needs delegator", res(authenticated, "create", "authorization.k8s.io", "subjectaccessreviews", "", ""), false},
		{"delegator reviews tokens", res(extension, "create", "authentication.k8s.io", "tokenreviews", "", ""), true},
		{"delegator reviews access", res(extension, "create", "authorization.k8s.io", "subjectaccessreviews", "", ""), true},
		{"reader reads the authentication configmap", res(extension, "get", "", "configmaps", SystemNamespace, "extension-apiserver-authentication"), true},
		{"reader watches it", res(extension, "watch", "", "configmaps", SystemNamespace, "extension-apiserver-authentication"), true},
		{"reader reads no other configmap", res(extension, "get", "", "configmaps", SystemNamespace, "other"), false},
		{"system:masters does anything", res(admin, "delete", "example.com", "widgets", "x", "y"), true},
		{"system:masters reaches any URL", url(admin, "/debug/pprof/heap"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			decision, reason, err := authz.Authorize(ctx, tc.attrs)
			if err != nil {
				t.Fatal(err)
			}
			if (decision == authorizer.DecisionAllow) != tc.allow {
				t.Errorf("decision %v (%q), want allow=%v", decision, reason, tc.allow)
			}
		})
	}
}

// TestViewHoldsNoSecrets: reading secrets is an edit-level permission.
func TestViewHoldsNoSecrets(t *testing.T) {
	for _, r := range ClusterRoles() {
		if r.Labels[AggregateToViewLabel] != "true" {
			continue
		}
		for _, rule := range r.Rules {
			for _, res := range rule.Resources {
				if res == "secrets" || res == rbacv1.ResourceAll {
					t.Errorf("%s aggregates into view and grants %v", r.Name, rule)
				}
			}
		}
	}
}
