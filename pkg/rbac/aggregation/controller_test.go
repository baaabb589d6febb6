package aggregation

import (
	"context"
	clienttesting "k8s.io/client-go/testing"
	"reflect"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/aggkit/aggkit/pkg/rbac/bootstrap"
)

// startController runs the controller over a fake clientset seeded with the
// bootstrap ClusterRoles plus extra.
func startController(t *testing.T, extra ...runtime.Object) (context.Context, *fake.Clientset, *Controller) {
	t.Helper()
	var objs []runtime.Object
	for _, r := range bootstrap.ClusterRoles() {
		objs = append(objs, &r)
	}
	client := fake.NewClientset(append(objs, extra...)...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := NewController(factory.Rbac().V1().ClusterRoles(), client.RbacV1())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { c.Run(ctx, 2); close(done) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	return ctx, client, c
}

// waitForRules polls the API until name holds want. The deadline is only a
// backstop so a failure reports what was seen instead of hanging.
func waitForRules(t *testing.T, ctx context.Context, client *fake.Clientset, name string, want []rbacv1.PolicyRule) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, waitBackstop)
	defer cancel()
	var last []rbacv1.PolicyRule
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		got, err := client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = got.Rules
		return reflect.DeepEqual(got.Rules, want), nil
	})
	if err != nil {
		t.Fatalf("%s rules %v, want %v: %v", name, last, want, err)
	}
}

func rulesOf(name string) []rbacv1.PolicyRule {
	for _, r := range bootstrap.ClusterRoles() {
		if r.Name == name {
			return r.Rules
		}
	}
	panic(name)
}

func concat(lists ...[]rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func TestControllerFillsBootstrapRoles(t *testing.T) {
	ctx, client, _ := startController(t)
	view := rulesOf("system:aggregate-to-view")
	edit := concat(rulesOf("system:aggregate-to-edit"), view)
	// Matched roles are read in name order: "edit" before "system:aggregate-to-admin".
	admin := concat(edit, rulesOf("system:aggregate-to-admin"))

	waitForRules(t, ctx, client, "view", view)
	waitForRules(t, ctx, client, "edit", edit)
	waitForRules(t, ctx, client, "admin", admin)

	// A new role labelled for view flows through view, edit and admin.
	crd := labelled("widgets-view", map[string]string{bootstrap.AggregateToViewLabel: "true"}, readRule("widgets"))
	if _, err := client.RbacV1().ClusterRoles().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForRules(t, ctx, client, "view", concat(view, crd.Rules))
	waitForRules(t, ctx, client, "admin", concat(rulesOf("system:aggregate-to-edit"), view, crd.Rules, rulesOf("system:aggregate-to-admin")))

	// Removing it takes the rules back out.
	if err := client.RbacV1().ClusterRoles().Delete(ctx, crd.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForRules(t, ctx, client, "admin", admin)
}

func TestSyncWritesOnlyOnChange(t *testing.T) {
	ctx, client, c := startController(t)
	waitForRules(t, ctx, client, "view", rulesOf("system:aggregate-to-view"))
	// Wait for the informer to have seen the write, so sync compares with it.
	if err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(context.Context) (bool, error) {
		r, err := c.lister.Get("view")
		return err == nil && len(r.Rules) > 0, nil
	}); err != nil {
		t.Fatal(err)
	}

	// The controller's own workers may still be settling other aggregated
	// roles (admin, edit) meanwhile, so only writes of the roles synced here
	// count.
	client.ClearActions()
	if err := c.syncClusterRole(ctx, "view"); err != nil {
		t.Fatal(err)
	}
	for _, a := range client.Actions() {
		if updates(a, "view") {
			t.Errorf("sync of an up-to-date role wrote: %v", a)
		}
	}
	// Roles without an aggregationRule and missing roles are no-ops.
	for _, name := range []string{"cluster-admin", "no-such-role"} {
		if err := c.syncClusterRole(ctx, name); err != nil {
			t.Errorf("sync %s: %v", name, err)
		}
	}
	for _, a := range client.Actions() {
		if updates(a, "view") || updates(a, "cluster-admin") || updates(a, "no-such-role") {
			t.Errorf("unexpected write: %v", a)
		}
	}
}

// updates reports whether a is a write of the named ClusterRole.
func updates(a clienttesting.Action, name string) bool {
	u, ok := a.(clienttesting.UpdateAction)
	if !ok {
		return false
	}
	role, ok := u.GetObject().(*rbacv1.ClusterRole)
	return ok && role.Name == name
}

// TestSyncFieldIsUsed checks the worker calls the swappable sync field.
func TestSyncFieldIsUsed(t *testing.T) {
	client := fake.NewClientset(aggregating("agg", matchLabel("a", "true")))
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := NewController(factory.Rbac().V1().ClusterRoles(), client.RbacV1())
	if err != nil {
		t.Fatal(err)
	}
	synced := make(chan string, 10)
	c.sync = func(_ context.Context, name string) error { synced <- name; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { c.Run(ctx, 1); close(done) }()
	defer func() { cancel(); <-done; factory.Shutdown() }()
	if got := <-synced; got != "agg" {
		t.Errorf("synced %q, want agg", got)
	}
}
