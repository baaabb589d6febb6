package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestRBACGrantsAndEscalation: a user with no bindings is refused; a
// RoleBinding to view lets it read; it cannot grant itself more.
func TestRBACGrantsAndEscalation(t *testing.T) {
	a := framework.StartAggkit(t, "")
	admin := framework.NewKubectl(t, a.Kubeconfig)
	alice := framework.NewKubectl(t, a.UserKubeconfig("alice"))

	admin.MustRun("create", "configmap", "public", "-n", "default", "--from-literal=a=1")
	if _, err := alice.Run("", "get", "configmaps", "-n", "default"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("alice without bindings: %v", err)
	}
	if got := strings.TrimSpace(mustOut(alice.Run("", "auth", "can-i", "list", "configmaps", "-n", "default"))); got != "no" {
		t.Fatalf("can-i before binding = %q", got)
	}

	admin.MustRun("create", "rolebinding", "alice-view", "-n", "default", "--clusterrole=view", "--user=alice")
	framework.Eventually(t, 10*time.Second, func() bool {
		out, err := alice.Run("", "get", "configmaps", "-n", "default")
		return err == nil && strings.Contains(out, "public")
	}, func() string {
		_, err := alice.Run("", "get", "configmaps", "-n", "default")
		return "alice still cannot list: " + errString(err)
	})
	if got := strings.TrimSpace(mustOut(alice.Run("", "auth", "can-i", "list", "configmaps", "-n", "default"))); got != "yes" {
		t.Fatalf("can-i after binding = %q", got)
	}
	if _, err := alice.Run("", "get", "secrets", "-n", "default"); err == nil {
		t.Fatalf("view must not read secrets")
	}

	// Escalation: alice may not bind herself to edit, nor write a role
	// granting more than she holds, even with the right to manage RBAC
	// objects in the namespace.
	admin.Apply(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"rbac-manager","namespace":"default"},
		"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles","rolebindings"],"verbs":["get","list","create","update","patch","delete"]}]}`)
	admin.MustRun("create", "rolebinding", "alice-rbac", "-n", "default", "--role=rbac-manager", "--user=alice")
	framework.Eventually(t, 10*time.Second, func() bool {
		out, _ := alice.Run("", "auth", "can-i", "create", "rolebindings", "-n", "default")
		return strings.TrimSpace(out) == "yes"
	}, func() string { return "alice never got rolebindings rights" })
	_, err := alice.Run("", "create", "rolebinding", "alice-edit", "-n", "default", "--clusterrole=edit", "--user=alice")
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("self-escalation through a binding was not refused: %v", err)
	}
	_, err = alice.Run(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"too-much","namespace":"default"},
		"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}`, "create", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("escalation through a role was not refused: %v", err)
	}
	// Within what she holds, she may grant.
	alice.Apply(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"cm-reader","namespace":"default"},
		"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list"]}]}`)
}

func mustOut(out string, _ error) string { return out }

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
