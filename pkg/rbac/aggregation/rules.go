package aggregation

import (
	"fmt"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
)

// aggregatedRules returns the rules role should hold: the rules of every
// other ClusterRole one of its selectors matches, without duplicates. The
// order is stable (selectors in order, matched roles by name, rules as they
// appear) so an unchanged input never causes a write.
func aggregatedRules(role *rbacv1.ClusterRole, lister rbaclisters.ClusterRoleLister) ([]rbacv1.PolicyRule, error) {
	rules := []rbacv1.PolicyRule{}
	for i := range role.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&role.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			return nil, fmt.Errorf("clusterrole %s: selector %d: %w", role.Name, i, err)
		}
		matched, err := lister.List(selector)
		if err != nil {
			return nil, fmt.Errorf("clusterrole %s: list clusterroles: %w", role.Name, err)
		}
		sort.Slice(matched, func(a, b int) bool { return matched[a].Name < matched[b].Name })
		for _, m := range matched {
			if m.Name == role.Name {
				continue
			}
			for _, r := range m.Rules {
				if !containsRule(rules, r) {
					rules = append(rules, r)
				}
			}
		}
	}
	return rules, nil
}

func containsRule(rules []rbacv1.PolicyRule, rule rbacv1.PolicyRule) bool {
	for _, r := range rules {
		if apiequality.Semantic.DeepEqual(r, rule) {
			return true
		}
	}
	return false
}
