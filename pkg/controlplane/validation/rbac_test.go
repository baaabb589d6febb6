package validation

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validRole() *rbacv1.Role {
	return &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "system:reader", Namespace: "default"},
		Rules:      []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}},
	}
}

func TestValidateRole(t *testing.T) {
	runCases(t, validRole, ValidateRole, []caseOf[*rbacv1.Role]{
		{name: "valid"},
		{name: "path segment name rules", mutate: func(r *rbacv1.Role) { r.Name = "a/b" },
			want: []wantErr{inv("metadata.name")}},
		{name: "verbs required", mutate: func(r *rbacv1.Role) { r.Rules[0].Verbs = nil },
			want: []wantErr{req("rules[0].verbs")}},
		{name: "apiGroups and resources required", mutate: func(r *rbacv1.Role) {
			r.Rules[0].APIGroups, r.Rules[0].Resources = nil, nil
		}, want: []wantErr{req("rules[0].apiGroups"), req("rules[0].resources")}},
		{name: "no non-resource URLs in namespaced rules", mutate: func(r *rbacv1.Role) {
			r.Rules = []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}
		}, want: []wantErr{inv("rules[0].nonResourceURLs")}},
	})
	runUpdateCases(t, validRole, ValidateRoleUpdate, []caseOf[*rbacv1.Role]{
		{name: "rules may change", mutate: func(r *rbacv1.Role) { r.Rules[0].Verbs = []string{"list"} }},
		{name: "rules are checked", mutate: func(r *rbacv1.Role) { r.Rules[0].Verbs = nil },
			want: []wantErr{req("rules[0].verbs")}},
	})
}

func validClusterRole() *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "system:health"},
		Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/readyz/*"}},
			{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
		},
	}
}

func TestValidateClusterRole(t *testing.T) {
	runCases(t, validClusterRole, ValidateClusterRole, []caseOf[*rbacv1.ClusterRole]{
		{name: "valid"},
		{name: "aggregation", mutate: func(r *rbacv1.ClusterRole) {
			r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": "true"}}}}
		}},
		{name: "namespace forbidden", mutate: func(r *rbacv1.ClusterRole) { r.Namespace = "default" },
			want: []wantErr{forbidden("metadata.namespace")}},
		{name: "URLs mixed with resources", mutate: func(r *rbacv1.ClusterRole) { r.Rules[0].Resources = []string{"pods"} },
			want: []wantErr{inv("rules[0].nonResourceURLs")}},
		{name: "empty aggregation rule", mutate: func(r *rbacv1.ClusterRole) { r.AggregationRule = &rbacv1.AggregationRule{} },
			want: []wantErr{req("aggregationRule.clusterRoleSelectors")}},
		{name: "bad aggregation selector", mutate: func(r *rbacv1.ClusterRole) {
			r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"bad key!": "x"}}}}
		}, want: []wantErr{inv("aggregationRule.clusterRoleSelectors[0].matchLabels")}},
	})
	runUpdateCases(t, validClusterRole, ValidateClusterRoleUpdate, []caseOf[*rbacv1.ClusterRole]{
		{name: "unchanged"},
		{name: "name immutable", mutate: func(r *rbacv1.ClusterRole) { r.Name = "x" }, want: []wantErr{inv("metadata.name")}},
	})
}

func validRoleBinding() *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "readers", Namespace: "default"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "system:reader"},
		Subjects: []rbacv1.Subject{
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice@example.com"},
			{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "devs"},
			{Kind: rbacv1.ServiceAccountKind, Name: "builder"},
		},
	}
}

func TestValidateRoleBinding(t *testing.T) {
	runCases(t, validRoleBinding, ValidateRoleBinding, []caseOf[*rbacv1.RoleBinding]{
		{name: "valid"},
		{name: "ClusterRole ref", mutate: func(b *rbacv1.RoleBinding) { b.RoleRef.Kind = "ClusterRole" }},
		{name: "roleRef fields", mutate: func(b *rbacv1.RoleBinding) { b.RoleRef = rbacv1.RoleRef{APIGroup: "x", Kind: "Thing"} },
			want: []wantErr{unsupported("roleRef.apiGroup"), unsupported("roleRef.kind"), req("roleRef.name")}},
		{name: "user without group", mutate: func(b *rbacv1.RoleBinding) { b.Subjects[0].APIGroup = "" },
			want: []wantErr{unsupported("subjects[0].apiGroup")}},
		{name: "service account with group and bad name", mutate: func(b *rbacv1.RoleBinding) {
			b.Subjects[2].APIGroup, b.Subjects[2].Name = rbacv1.GroupName, "Bad_Name"
		}, want: []wantErr{unsupported("subjects[2].apiGroup"), inv("subjects[2].name")}},
		{name: "unknown kind and no name", mutate: func(b *rbacv1.RoleBinding) { b.Subjects[1] = rbacv1.Subject{Kind: "Robot"} },
			want: []wantErr{unsupported("subjects[1].kind"), req("subjects[1].name")}},
	})
	runUpdateCases(t, validRoleBinding, ValidateRoleBindingUpdate, []caseOf[*rbacv1.RoleBinding]{
		{name: "subjects may change", mutate: func(b *rbacv1.RoleBinding) { b.Subjects = b.Subjects[:1] }},
		{name: "roleRef immutable", mutate: func(b *rbacv1.RoleBinding) { b.RoleRef.Name = "other" },
			want: []wantErr{inv("roleRef")}},
	})
}

func validClusterRoleBinding() *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "health"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:health"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "probe", Namespace: "monitoring"}},
	}
}

func TestValidateClusterRoleBinding(t *testing.T) {
	runCases(t, validClusterRoleBinding, ValidateClusterRoleBinding, []caseOf[*rbacv1.ClusterRoleBinding]{
		{name: "valid"},
		{name: "Role ref not allowed", mutate: func(b *rbacv1.ClusterRoleBinding) { b.RoleRef.Kind = "Role" },
			want: []wantErr{unsupported("roleRef.kind")}},
		{name: "service account needs namespace", mutate: func(b *rbacv1.ClusterRoleBinding) { b.Subjects[0].Namespace = "" },
			want: []wantErr{req("subjects[0].namespace")}},
	})
	runUpdateCases(t, validClusterRoleBinding, ValidateClusterRoleBindingUpdate, []caseOf[*rbacv1.ClusterRoleBinding]{
		{name: "labels may change", mutate: func(b *rbacv1.ClusterRoleBinding) { b.Labels = map[string]string{"a": "b"} }},
		{name: "roleRef immutable", mutate: func(b *rbacv1.ClusterRoleBinding) { b.RoleRef.Name = "cluster-admin" },
			want: []wantErr{inv("roleRef")}},
	})
}
