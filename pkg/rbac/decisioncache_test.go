package rbac_test

import (
	"context"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/aggkit/aggkit/pkg/rbac"
	"github.com/aggkit/aggkit/pkg/runlocal"
)

// countingAuthorizer counts the decisions RBAC itself makes.
type countingAuthorizer struct {
	*rbac.Authorizer
	calls atomic.Int32
}

func (c *countingAuthorizer) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	c.calls.Add(1)
	return c.Authorizer.Authorize(ctx, attrs)
}

// TestDecisionCacheFollowsRBAC runs the cache over informers of a real
// control plane: a decision is reused, never for another user, and a
// deleted RoleBinding stops allowing as soon as the informers see it (the
// cache has no expiry, so nothing else could make it forget).
func TestDecisionCacheFollowsRBAC(t *testing.T) {
	ctx := t.Context()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := runlocal.StartControlPlane(ctx, filepath.Join(t.TempDir(), "controlplane"), listener)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Stop() })
	client := kubernetes.NewForConfigOrDie(cp.Admin)
	factory := informers.NewSharedInformerFactory(client, 0)
	counted := &countingAuthorizer{Authorizer: rbac.NewFromInformers(factory.Rbac().V1())}
	cached, err := rbac.NewDecisionCache(counted, factory.Rbac().V1())
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	t.Cleanup(factory.Shutdown)

	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "things-reader"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"example.com"}, Resources: []string{"things"}}}}
	if _, err := client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-reads", Namespace: "default"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "things-reader"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}}}
	if _, err := client.RbacV1().RoleBindings("default").Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	getThing := func(name string) authorizer.Attributes {
		return authorizer.AttributesRecord{User: &user.DefaultInfo{Name: name, Groups: []string{user.AllAuthenticated}},
			Verb: "get", Namespace: "default", APIGroup: "example.com", APIVersion: "v1", Resource: "things", Name: "one", ResourceRequest: true}
	}
	decide := func(name string) authorizer.Decision {
		d, _, err := cached.Authorize(ctx, getThing(name))
		if err != nil {
			t.Fatalf("authorize %s: %v", name, err)
		}
		return d
	}
	waitFor := func(name string, want authorizer.Decision) {
		t.Helper()
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			return decide(name) == want, nil
		})
		if err != nil {
			t.Fatalf("%s never got decision %v", name, want)
		}
	}

	waitFor("alice", authorizer.DecisionAllow)
	calls := counted.calls.Load()
	if decide("alice") != authorizer.DecisionAllow || counted.calls.Load() != calls {
		t.Fatalf("the same request was decided again (RBAC calls %d -> %d)", calls, counted.calls.Load())
	}
	if decide("bob") != authorizer.DecisionNoOpinion {
		t.Fatal("bob got alice's cached decision")
	}
	if counted.calls.Load() != calls+1 {
		t.Fatal("bob's request was not decided by RBAC")
	}

	if err := client.RbacV1().RoleBindings("default").Delete(ctx, "alice-reads", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("alice", authorizer.DecisionNoOpinion)
}

// The key keeps users, groups and attributes apart whatever they contain.
func TestDecisionKeyNeverCrossesUsers(t *testing.T) {
	attrs := func(name string, groups []string, namespace string) authorizer.Attributes {
		return authorizer.AttributesRecord{User: &user.DefaultInfo{Name: name, Groups: groups}, Verb: "get",
			Namespace: namespace, Resource: "things", ResourceRequest: true}
	}
	same := [][2]authorizer.Attributes{
		{attrs("a", []string{"b"}, "c"), attrs("a:b", nil, "c")},
		{attrs("a", []string{"b", "c"}, ""), attrs("a", []string{"b,c"}, "")},
		{attrs("a", nil, "b"), attrs("a", []string{"b"}, "")},
		{attrs("1:a", nil, ""), attrs("1", []string{"a"}, "")},
	}
	for _, pair := range same {
		if rbac.DecisionKey(pair[0]) == rbac.DecisionKey(pair[1]) {
			t.Errorf("%+v and %+v share the key %q", pair[0], pair[1], rbac.DecisionKey(pair[0]))
		}
	}
}
