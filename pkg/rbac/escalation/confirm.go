package escalation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/component-helpers/auth/rbac/validation"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/rbac"
)

// ConfirmNoEscalation returns nil when the user on ctx already holds every
// rule in rules, in the namespace on ctx (cluster-wide when there is none).
// Otherwise its error lists the missing rules, one per line.
//
// Rules the resolver could not resolve (say, a binding to a missing role)
// count as not held; their errors are appended to the message.
func ConfirmNoEscalation(ctx context.Context, resolver rbac.AuthorizationRuleResolver, rules []rbacv1.PolicyRule) error {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return errors.New("no user on request")
	}
	namespace, _ := genericapirequest.NamespaceFrom(ctx)

	held, resolveErr := resolver.RulesFor(ctx, u, namespace)
	if resolveErr != nil {
		klog.FromContext(ctx).V(1).Info("Incomplete rules for escalation check", "user", u.GetName(), "namespace", namespace, "err", resolveErr)
	}
	covered, missing := validation.Covers(held, rules)
	if covered {
		return nil
	}
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s",
		u.GetName(), u.GetGroups(), strings.Join(describeRules(missing), "\n"))
	if resolveErr != nil {
		msg += fmt.Sprintf("; resolution errors: %v", resolveErr)
	}
	return errors.New(msg)
}

// describeRules renders the broken-down missing rules compactly: rules that
// differ only in their verb are merged, and the lines are sorted so the
// message does not depend on binding order.
func describeRules(rules []rbacv1.PolicyRule) []string {
	var merged []rbacv1.PolicyRule
	index := map[string]int{}
	for _, r := range rules {
		key := fmt.Sprintf("%q|%q|%q|%q", r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs)
		i, seen := index[key]
		if !seen {
			index[key] = len(merged)
			r.Verbs = slices.Clone(r.Verbs)
			merged = append(merged, r)
			continue
		}
		for _, v := range r.Verbs {
			if !slices.Contains(merged[i].Verbs, v) {
				merged[i].Verbs = append(merged[i].Verbs, v)
			}
		}
	}
	lines := make([]string, 0, len(merged))
	for _, r := range merged {
		lines = append(lines, compactString(r))
	}
	slices.Sort(lines)
	return slices.Compact(lines)
}

// compactString prints only the non-empty fields of r, in the same shape as
// kube-apiserver's escalation message: {APIGroups:[""], Resources:["secrets"], Verbs:["get"]}.
func compactString(r rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, values []string) {
		if len(values) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%s", name, quoteList(values)))
		}
	}
	add("APIGroups", r.APIGroups)
	add("Resources", r.Resources)
	add("NonResourceURLs", r.NonResourceURLs)
	add("ResourceNames", r.ResourceNames)
	add("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}

func quoteList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(quoted, " ") + "]"
}
