package rbac

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

// policy is a small cluster exercising every matching feature.
func policyObjects() []runtime.Object {
	return []runtime.Object{
		clusterRole("reader", resourceRule(list("get", "list", "watch"), list(""), list("configmaps"))),
		clusterRole("pod-logs", resourceRule(list("get"), list(""), list("pods/log"))),
		clusterRole("any-status", resourceRule(list("update"), list("*"), list("*/status"))),
		clusterRole("one-configmap", resourceRule(list("get", "update"), list(""), list("configmaps"), "cfg-a")),
		clusterRole("health", urlRule(list("get"), "/healthz", "/apis/*")),
		clusterRole("everything", resourceRule(list("*"), list("*"), list("*")), urlRule(list("*"), "*")),
		role("ns1", "deployer", resourceRule(list("create", "update"), list("apps"), list("deployments"))),

		clusterRoleBinding("readers", "reader", groupSubject("readers")),
		clusterRoleBinding("logs", "pod-logs", userSubject("alice")),
		clusterRoleBinding("status-writers", "any-status", serviceAccountSubject("kube-system", "ctrl")),
		clusterRoleBinding("one-cm", "one-configmap", userSubject("bob")),
		clusterRoleBinding("health", "health", groupSubject(user.AllAuthenticated)),
		clusterRoleBinding("root", "everything", userSubject("root")),
		clusterRoleBinding("sa-without-namespace", "everything", serviceAccountSubject("", "ghost")),
		clusterRoleBinding("dangling-cluster", "no-such-role", userSubject("erin")),
		roleBinding("ns1", "deployers", "Role", "deployer", serviceAccountSubject("", "builder")),
		roleBinding("ns1", "local-readers", "ClusterRole", "reader", userSubject("dave")),
		roleBinding("ns1", "dangling", "Role", "no-such-role", userSubject("carol")),
	}
}

func TestAuthorize(t *testing.T) {
	authz := New(indexerResolver(t, policyObjects()...))
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}
	reader := &user.DefaultInfo{Name: "rita", Groups: []string{"readers"}}
	sa := func(ns, name string) user.Info {
		return &user.DefaultInfo{Name: "system:serviceaccount:" + ns + ":" + name}
	}
	res := func(u user.Info, verb, group, resource, sub, ns, name string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub,
			Namespace: ns, Name: name, ResourceRequest: true}
	}
	url := func(u user.Info, verb, path string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, Path: path}
	}

	tests := []struct {
		name     string
		attrs    authorizer.AttributesRecord
		decision authorizer.Decision
		reason   string
	}{
		{"group subject, verb and resource match", res(reader, "list", "", "configmaps", "", "ns1", ""),
			authorizer.DecisionAllow, `RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "reader" to Group "readers"`},
		{"verb not granted", res(reader, "delete", "", "configmaps", "", "ns1", "x"), authorizer.DecisionNoOpinion, ""},
		{"group not granted", res(reader, "get", "apps", "configmaps", "", "ns1", "x"), authorizer.DecisionNoOpinion, ""},
		{"resource rule does not grant its subresources", res(reader, "get", "", "configmaps", "status", "ns1", "x"), authorizer.DecisionNoOpinion, ""},
		{"resource/subresource match", res(alice, "get", "", "pods", "log", "ns1", "p"),
			authorizer.DecisionAllow, `RBAC: allowed by ClusterRoleBinding "logs" of ClusterRole "pod-logs" to User "alice"`},
		{"resource/subresource does not grant the parent", res(alice, "get", "", "pods", "", "ns1", "p"), authorizer.DecisionNoOpinion, ""},
		{"*/subresource match", res(sa("kube-system", "ctrl"), "update", "apps", "deployments", "status", "ns2", "d"),
			authorizer.DecisionAllow, `RBAC: allowed by ClusterRoleBinding "status-writers" of ClusterRole "any-status" to ServiceAccount "ctrl/kube-system"`},
		{"*/subresource needs a subresource", res(sa("kube-system", "ctrl"), "update", "apps", "deployments", "", "ns2", "d"), authorizer.DecisionNoOpinion, ""},
		{"*/subresource needs the same subresource", res(sa("kube-system", "ctrl"), "update", "apps", "deployments", "scale", "ns2", "d"), authorizer.DecisionNoOpinion, ""},
		{"resourceNames match", res(&user.DefaultInfo{Name: "bob"}, "update", "", "configmaps", "", "ns1", "cfg-a"),
			authorizer.DecisionAllow, `RBAC: allowed by ClusterRoleBinding "one-cm" of ClusterRole "one-configmap" to User "bob"`},
		{"resourceNames other name", res(&user.DefaultInfo{Name: "bob"}, "update", "", "configmaps", "", "ns1", "cfg-b"), authorizer.DecisionNoOpinion, ""},
		{"resourceNames do not allow unnamed list", res(&user.DefaultInfo{Name: "bob"}, "list", "", "configmaps", "", "ns1", ""), authorizer.DecisionNoOpinion, ""},
		{"non-resource exact URL", url(alice, "get", "/healthz"),
			authorizer.DecisionAllow, `RBAC: allowed by ClusterRoleBinding "health" of ClusterRole "health" to Group "system:authenticated"`},
		{"non-resource URL is not a prefix without *", url(alice, "get", "/healthz/etcd"), authorizer.DecisionNoOpinion, ""},
		{"non-resource trailing * prefix", url(alice, "get", "/apis/apps/v1"), authorizer.DecisionAllow,
			`RBAC: allowed by ClusterRoleBinding "health" of ClusterRole "health" to Group "system:authenticated"`},
		{"non-resource prefix is literal", url(alice, "get", "/apisx"), authorizer.DecisionNoOpinion, ""},
		{"non-resource verb", url(alice, "post", "/healthz"), authorizer.DecisionNoOpinion, ""},
		{"resource rules never grant URLs", url(reader, "get", "/api"), authorizer.DecisionNoOpinion, ""},
		{"wildcards everywhere", res(&user.DefaultInfo{Name: "root"}, "deletecollection", "example.com", "widgets", "scale", "x", ""),
			authorizer.DecisionAllow, `RBAC: allowed by ClusterRoleBinding "root" of ClusterRole "everything" to User "root"`},
		{"wildcard URL", url(&user.DefaultInfo{Name: "root"}, "put", "/anything/at/all"), authorizer.DecisionAllow,
			`RBAC: allowed by ClusterRoleBinding "root" of ClusterRole "everything" to User "root"`},
		{"cluster binding to a ServiceAccount needs its namespace", res(sa("default", "ghost"), "get", "", "pods", "", "default", "p"), authorizer.DecisionNoOpinion, ""},
		{"role binding defaults ServiceAccount namespace", res(sa("ns1", "builder"), "create", "apps", "deployments", "", "ns1", ""),
			authorizer.DecisionAllow, `RBAC: allowed by RoleBinding "deployers/ns1" of Role "deployer" to ServiceAccount "builder/ns1"`},
		{"role binding only applies in its namespace", res(sa("ns1", "builder"), "create", "apps", "deployments", "", "ns2", ""), authorizer.DecisionNoOpinion, ""},
		{"same-named ServiceAccount elsewhere", res(sa("ns2", "builder"), "create", "apps", "deployments", "", "ns1", ""), authorizer.DecisionNoOpinion, ""},
		{"cluster role bound in a namespace", res(&user.DefaultInfo{Name: "dave"}, "watch", "", "configmaps", "", "ns1", ""),
			authorizer.DecisionAllow, `RBAC: allowed by RoleBinding "local-readers/ns1" of ClusterRole "reader" to User "dave"`},
		{"cluster role bound in a namespace is not cluster-wide", res(&user.DefaultInfo{Name: "dave"}, "watch", "", "configmaps", "", "", ""), authorizer.DecisionNoOpinion, ""},
		{"dangling role binding reports the error", res(&user.DefaultInfo{Name: "carol"}, "get", "", "pods", "", "ns1", "p"),
			authorizer.DecisionNoOpinion, `RBAC: role.rbac.authorization.k8s.io "no-such-role" not found`},
		{"dangling cluster role binding reports the error", res(&user.DefaultInfo{Name: "erin"}, "get", "", "pods", "", "ns1", "p"),
			authorizer.DecisionNoOpinion, `RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found`},
		{"no user", authorizer.AttributesRecord{Verb: "get", Path: "/healthz"}, authorizer.DecisionNoOpinion, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			decision, reason, err := authz.Authorize(context.Background(), tc.attrs)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if decision != tc.decision || reason != tc.reason {
				t.Errorf("got (%v, %q), want (%v, %q)", decision, reason, tc.decision, tc.reason)
			}
			cad := authz.ConditionsAwareAuthorize(context.Background(), tc.attrs)
			if cad.IsAllow() != (tc.decision == authorizer.DecisionAllow) {
				t.Errorf("ConditionsAwareAuthorize disagrees with Authorize: %#v", cad)
			}
		})
	}
}

func TestRulesFor(t *testing.T) {
	authz := New(indexerResolver(t, policyObjects()...))
	tests := []struct {
		name        string
		user        user.Info
		namespace   string
		resource    []authorizer.DefaultResourceRuleInfo
		nonResource []authorizer.DefaultNonResourceRuleInfo
		wantErr     string
	}{
		{
			name: "cluster bindings only without namespace", user: &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}},
			resource:    []authorizer.DefaultResourceRuleInfo{{Verbs: list("get"), APIGroups: list(""), Resources: list("pods/log")}},
			nonResource: []authorizer.DefaultNonResourceRuleInfo{{Verbs: list("get"), NonResourceURLs: list("/healthz", "/apis/*")}},
		},
		{
			name: "namespace adds role bindings", user: &user.DefaultInfo{Name: "system:serviceaccount:ns1:builder"}, namespace: "ns1",
			resource: []authorizer.DefaultResourceRuleInfo{{Verbs: list("create", "update"), APIGroups: list("apps"), Resources: list("deployments")}},
		},
		{
			name: "errors come with the rules that resolved", user: &user.DefaultInfo{Name: "carol", Groups: []string{"readers"}}, namespace: "ns1",
			resource: []authorizer.DefaultResourceRuleInfo{{Verbs: list("get", "list", "watch"), APIGroups: list(""), Resources: list("configmaps")}},
			wantErr:  `role.rbac.authorization.k8s.io "no-such-role" not found`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resourceRules, nonResourceRules, incomplete, err := authz.RulesFor(context.Background(), tc.user, tc.namespace)
			if incomplete {
				t.Error("RBAC rule lists are never incomplete")
			}
			if gotErr := errString(err); !strings.Contains(gotErr, tc.wantErr) || (tc.wantErr == "") != (err == nil) {
				t.Errorf("error %q, want %q", gotErr, tc.wantErr)
			}
			var gotResource []authorizer.DefaultResourceRuleInfo
			for _, r := range resourceRules {
				gotResource = append(gotResource, *r.(*authorizer.DefaultResourceRuleInfo))
			}
			var gotNonResource []authorizer.DefaultNonResourceRuleInfo
			for _, r := range nonResourceRules {
				gotNonResource = append(gotNonResource, *r.(*authorizer.DefaultNonResourceRuleInfo))
			}
			if !reflect.DeepEqual(gotResource, tc.resource) || !reflect.DeepEqual(gotNonResource, tc.nonResource) {
				t.Errorf("got %+v %+v, want %+v %+v", gotResource, gotNonResource, tc.resource, tc.nonResource)
			}
		})
	}
}

// TestNewFromInformers checks the informer wiring: objects stored through a
// clientset reach the authorizer through the informer caches.
func TestNewFromInformers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(
		clusterRole("secret-reader", resourceRule(list("get"), list(""), list("secrets"))),
		roleBinding("ns1", "read", "ClusterRole", "secret-reader", userSubject("zoe")),
	)
	factory := informers.NewSharedInformerFactory(client, 0)
	authz := NewFromInformers(factory.Rbac().V1())
	factory.Start(ctx.Done())
	// Shutdown waits for the informers, which stop only once ctx is cancelled.
	defer func() { cancel(); factory.Shutdown() }()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("cache for %v did not sync", typ)
		}
	}

	zoe := &user.DefaultInfo{Name: "zoe"}
	for _, tc := range []struct {
		namespace string
		want      authorizer.Decision
	}{{"ns1", authorizer.DecisionAllow}, {"ns2", authorizer.DecisionNoOpinion}} {
		attrs := authorizer.AttributesRecord{User: zoe, Verb: "get", Resource: "secrets", Namespace: tc.namespace, Name: "s", ResourceRequest: true}
		decision, reason, err := authz.Authorize(ctx, attrs)
		if err != nil || decision != tc.want {
			t.Errorf("namespace %s: got (%v, %q, %v), want %v", tc.namespace, decision, reason, err, tc.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
