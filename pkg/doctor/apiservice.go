package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1helper "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/helper"
)

// checkAPIService is link 1: the APIService exists. Its Available condition
// is shown, not judged: the later links find out why it is what it is.
func (d *doctor) checkAPIService(ctx context.Context, name string, t *target) Check {
	c := Check{Link: LinkAPIService}
	a, err := d.apiServices.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		c.Status, c.Message, c.Fix = StatusFail, fmt.Sprintf("APIService %s does not exist", name), d.missingAPIServiceFix(ctx, name)
		return c
	case err != nil:
		c.Status, c.Message = StatusFail, fmt.Sprintf("cannot read APIService %s: %v", name, err)
		c.Fix = "doctor needs to get APIServices (apiregistration.k8s.io); use credentials that may"
		return c
	}
	t.apiService = a
	t.available = apiregistrationv1helper.GetAPIServiceConditionByType(a, apiregistrationv1.Available)
	c.Status = StatusOK
	if a.Spec.Service == nil {
		c.Message = fmt.Sprintf("exists (local: served by the control plane); %s", describeCondition(t.available))
		return c
	}
	c.Message = fmt.Sprintf("exists, service %s/%s port %d; %s", a.Spec.Service.Namespace, a.Spec.Service.Name,
		apiServicePort(a), describeCondition(t.available))
	return c
}

func describeCondition(cond *apiregistrationv1.APIServiceCondition) string {
	if cond == nil {
		return "no Available condition yet (the aggregator has not checked it)"
	}
	return fmt.Sprintf("Available=%s (%s): %s", cond.Status, cond.Reason, cond.Message)
}

// missingAPIServiceFix names the APIServices that look like the one asked
// for, and the groups that are registered, so a typo shows.
func (d *doctor) missingAPIServiceFix(ctx context.Context, name string) string {
	version, group, _ := strings.Cut(name, ".")
	register := fmt.Sprintf("register it: apply an APIService named %s with spec.group %q, spec.version %q, "+
		"spec.service and spec.caBundle (`aggkit build config` writes one), then `kubectl get apiservice %s`",
		name, group, version, name)
	list, err := d.apiServices.List(ctx, metav1.ListOptions{})
	if err != nil {
		return register
	}
	var similar, groups []string
	for _, a := range list.Items {
		if a.Spec.Group != "" && !slices.Contains(groups, a.Spec.Group) {
			groups = append(groups, a.Spec.Group)
		}
		if looksLike(name, a) {
			similar = append(similar, a.Name)
		}
	}
	slices.Sort(similar)
	slices.Sort(groups)
	var b strings.Builder
	if len(similar) > 0 {
		fmt.Fprintf(&b, "did you mean %s? ", strings.Join(similar, ", "))
	}
	b.WriteString(register)
	if len(groups) > 0 {
		fmt.Fprintf(&b, "\nregistered groups: %s", strings.Join(groups, ", "))
	}
	return b.String()
}

// looksLike reports whether a is probably what name meant: the same group
// in another version, the same version of a group that differs a little,
// or a name a couple of edits away.
func looksLike(name string, a apiregistrationv1.APIService) bool {
	version, group, _ := strings.Cut(name, ".")
	if group != "" && a.Spec.Group == group {
		return true
	}
	if a.Spec.Version == version && a.Spec.Group != "" && group != "" &&
		(strings.Contains(a.Spec.Group, group) || strings.Contains(group, a.Spec.Group)) {
		return true
	}
	return editDistance(name, a.Name) <= 2
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
