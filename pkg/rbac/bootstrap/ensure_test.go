package bootstrap

import (
	"context"
	"reflect"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/component-helpers/auth/rbac/validation"
)

func findClusterRole(name string) rbacv1.ClusterRole {
	for _, r := range ClusterRoles() {
		if r.Name == name {
			return r
		}
	}
	panic("no bootstrap ClusterRole " + name)
}

func findClusterRoleBinding(name string) rbacv1.ClusterRoleBinding {
	for _, b := range ClusterRoleBindings() {
		if b.Name == name {
			return b
		}
	}
	panic("no bootstrap ClusterRoleBinding " + name)
}

// writes counts the create/update/delete calls a clientset received.
func writes(client *fake.Clientset) int {
	n := 0
	for _, a := range client.Actions() {
		if slices.Contains([]string{"create", "update", "delete", "patch"}, a.GetVerb()) {
			n++
		}
	}
	return n
}

func TestEnsureCreatesEverythingOnce(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	if err := Ensure(ctx, client); err != nil {
		t.Fatal(err)
	}
	for _, want := range ClusterRoles() {
		got, err := client.RbacV1().ClusterRoles().Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Rules, want.Rules) || !reflect.DeepEqual(got.AggregationRule, want.AggregationRule) || !reflect.DeepEqual(got.Labels, want.Labels) {
			t.Errorf("ClusterRole %s stored as %+v, want %+v", want.Name, got, want)
		}
	}
	for _, want := range ClusterRoleBindings() {
		got, err := client.RbacV1().ClusterRoleBindings().Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Subjects, want.Subjects) || got.RoleRef != want.RoleRef {
			t.Errorf("ClusterRoleBinding %s stored as %+v, want %+v", want.Name, got, want)
		}
	}
	for _, want := range NamespaceRoles() {
		if _, err := client.RbacV1().Roles(want.Namespace).Get(ctx, want.Name, metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.CoreV1().Namespaces().Get(ctx, SystemNamespace, metav1.GetOptions{}); err != nil {
		t.Errorf("namespace %s not created: %v", SystemNamespace, err)
	}

	client.ClearActions()
	if err := Ensure(ctx, client); err != nil {
		t.Fatal(err)
	}
	if n := writes(client); n != 0 {
		t.Errorf("second Ensure wrote %d times, want 0: %v", n, client.Actions())
	}
}

func TestEnsureKeepsUserChanges(t *testing.T) {
	ctx := context.Background()
	extraRule := rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}}
	extraSubject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "robot"}

	// system:discovery lost a default rule and gained one of the user's.
	discovery := findClusterRole("system:discovery")
	discovery.Rules = []rbacv1.PolicyRule{extraRule}
	// public-info-viewer lost a default subject and gained the user's.
	publicInfo := findClusterRoleBinding("system:public-info-viewer")
	publicInfo.Subjects = []rbacv1.Subject{publicInfo.Subjects[0], extraSubject}
	// basic-user opted out of updates and was emptied.
	basicUser := findClusterRole("system:basic-user")
	basicUser.Rules = nil
	basicUser.Annotations[rbacv1.AutoUpdateAnnotationKey] = "false"
	// The aggregation controller filled admin; Ensure must not undo it.
	admin := findClusterRole("admin")
	admin.Rules = []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}
	// cluster-admin's binding was re-pointed; roleRef is immutable, so recreate.
	clusterAdmin := findClusterRoleBinding("cluster-admin")
	clusterAdmin.RoleRef.Name = "view"

	client := fake.NewClientset([]runtime.Object{&discovery, &publicInfo, &basicUser, &admin, &clusterAdmin}...)
	if err := Ensure(ctx, client); err != nil {
		t.Fatal(err)
	}

	gotDiscovery, _ := client.RbacV1().ClusterRoles().Get(ctx, "system:discovery", metav1.GetOptions{})
	if covers, missing := validation.Covers(gotDiscovery.Rules, findClusterRole("system:discovery").Rules); !covers {
		t.Errorf("system:discovery misses default rules %v", missing)
	}
	if covers, _ := validation.Covers(gotDiscovery.Rules, []rbacv1.PolicyRule{extraRule}); !covers {
		t.Errorf("system:discovery lost the user's rule: %v", gotDiscovery.Rules)
	}

	gotPublicInfo, _ := client.RbacV1().ClusterRoleBindings().Get(ctx, "system:public-info-viewer", metav1.GetOptions{})
	for _, s := range append(findClusterRoleBinding("system:public-info-viewer").Subjects, extraSubject) {
		if !slices.Contains(gotPublicInfo.Subjects, s) {
			t.Errorf("system:public-info-viewer lacks subject %v: %v", s, gotPublicInfo.Subjects)
		}
	}

	gotBasicUser, _ := client.RbacV1().ClusterRoles().Get(ctx, "system:basic-user", metav1.GetOptions{})
	if len(gotBasicUser.Rules) != 0 {
		t.Errorf("system:basic-user opted out of updates but was changed: %v", gotBasicUser.Rules)
	}

	gotAdmin, _ := client.RbacV1().ClusterRoles().Get(ctx, "admin", metav1.GetOptions{})
	if !reflect.DeepEqual(gotAdmin.Rules, admin.Rules) {
		t.Errorf("admin's aggregated rules changed to %v", gotAdmin.Rules)
	}

	gotClusterAdmin, _ := client.RbacV1().ClusterRoleBindings().Get(ctx, "cluster-admin", metav1.GetOptions{})
	if gotClusterAdmin.RoleRef.Name != "cluster-admin" {
		t.Errorf("cluster-admin binding still points at %q", gotClusterAdmin.RoleRef.Name)
	}
}
