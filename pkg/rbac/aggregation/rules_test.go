package aggregation

import (
	"reflect"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
)

func labelled(name string, labels map[string]string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Rules: rules}
}

func aggregating(name string, selectors ...metav1.LabelSelector) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: selectors}}
}

func matchLabel(k, v string) metav1.LabelSelector {
	return metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
}

func readRule(resource string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{resource}}
}

func TestAggregatedRules(t *testing.T) {
	tests := []struct {
		name  string
		roles []*rbacv1.ClusterRole
		want  []rbacv1.PolicyRule
	}{
		{
			name: "matched roles in name order, not creation order",
			roles: []*rbacv1.ClusterRole{
				aggregating("agg", matchLabel("a", "true")),
				labelled("zz", map[string]string{"a": "true"}, readRule("secrets")),
				labelled("aa", map[string]string{"a": "true"}, readRule("pods")),
				labelled("other", map[string]string{"a": "false"}, readRule("nodes")),
			},
			want: []rbacv1.PolicyRule{readRule("pods"), readRule("secrets")},
		},
		{
			name: "duplicates across roles and selectors are dropped",
			roles: []*rbacv1.ClusterRole{
				aggregating("agg", matchLabel("a", "true"), matchLabel("b", "true")),
				labelled("one", map[string]string{"a": "true"}, readRule("pods"), readRule("pods")),
				labelled("two", map[string]string{"a": "true", "b": "true"}, readRule("pods"), readRule("services")),
				labelled("three", map[string]string{"b": "true"}, readRule("configmaps")),
			},
			want: []rbacv1.PolicyRule{readRule("pods"), readRule("services"), readRule("configmaps")},
		},
		{
			name: "match expressions",
			roles: []*rbacv1.ClusterRole{
				aggregating("agg", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"x", "y"}}}}),
				labelled("x", map[string]string{"tier": "x"}, readRule("pods")),
				labelled("z", map[string]string{"tier": "z"}, readRule("nodes")),
			},
			want: []rbacv1.PolicyRule{readRule("pods")},
		},
		{
			name: "a role matching its own selector does not feed itself",
			roles: []*rbacv1.ClusterRole{
				func() *rbacv1.ClusterRole {
					r := aggregating("agg", matchLabel("a", "true"))
					r.Labels = map[string]string{"a": "true"}
					r.Rules = []rbacv1.PolicyRule{readRule("stale")}
					return r
				}(),
			},
			want: []rbacv1.PolicyRule{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
			for _, r := range tc.roles {
				if err := indexer.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			got, err := aggregatedRules(tc.roles[0], rbaclisters.NewClusterRoleLister(indexer))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAggregatedRulesBadSelector(t *testing.T) {
	role := aggregating("agg", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}})
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	if _, err := aggregatedRules(role, rbaclisters.NewClusterRoleLister(indexer)); err == nil {
		t.Fatal("want an error for an invalid selector")
	}
}
