package nsdelete

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// conditionTypes are the namespace conditions the controller owns, in the
// order it writes them. Each is False with a "healthy" reason unless the last
// deletion pass found the problem it names.
var conditionTypes = []corev1.NamespaceConditionType{
	corev1.NamespaceDeletionDiscoveryFailure,
	corev1.NamespaceDeletionGVParsingFailure,
	corev1.NamespaceDeletionContentFailure,
	corev1.NamespaceContentRemaining,
	corev1.NamespaceFinalizersRemaining,
}

// healthyConditions hold the reason and message of each condition type when
// nothing is wrong. Reasons are Kubernetes' so tools that read them keep
// working.
var healthyConditions = map[corev1.NamespaceConditionType]struct{ reason, message string }{
	corev1.NamespaceDeletionDiscoveryFailure: {"ResourcesDiscovered", "All resources successfully discovered"},
	corev1.NamespaceDeletionGVParsingFailure: {"ParsedGroupVersions", "All legacy kube types successfully parsed"},
	corev1.NamespaceDeletionContentFailure:   {"ContentDeleted", "All content successfully deleted, may be waiting on finalization"},
	corev1.NamespaceContentRemaining:         {"ContentRemoved", "All content successfully removed"},
	corev1.NamespaceFinalizersRemaining:      {"ContentHasNoFinalizers", "All content-preserving finalizers finished"},
}

// passReport is what one deletion pass over a namespace found.
type passReport struct {
	discoveryErr error
	parseErr     error
	deleteErrs   []error
	// remaining counts objects left per resource type.
	remaining map[schema.GroupVersionResource]int
	// finalizers counts remaining objects per finalizer, over all types.
	finalizers map[string]int
}

func newPassReport() *passReport {
	return &passReport{remaining: map[schema.GroupVersionResource]int{}, finalizers: map[string]int{}}
}

// add records the outcome of deleting one resource type.
func (r *passReport) add(gvr schema.GroupVersionResource, left leftover, err error) {
	if err != nil {
		r.deleteErrs = append(r.deleteErrs, err)
	}
	if left.objects > 0 {
		r.remaining[gvr] += left.objects
	}
	for f, n := range left.finalizers {
		r.finalizers[f] += n
	}
}

// err joins every failure of the pass; nil when there was none.
func (r *passReport) err() error {
	return errors.Join(append([]error{r.discoveryErr, r.parseErr}, r.deleteErrs...)...)
}

// objectsRemaining is the number of objects still in the namespace.
func (r *passReport) objectsRemaining() int {
	total := 0
	for _, n := range r.remaining {
		total += n
	}
	return total
}

// conditions returns the desired condition of every owned type, without
// transition times.
func (r *passReport) conditions() []corev1.NamespaceCondition {
	failed := map[corev1.NamespaceConditionType]corev1.NamespaceCondition{}
	if r.discoveryErr != nil {
		msg := r.discoveryErr.Error()
		if groups, ok := discovery.GroupDiscoveryFailedErrorGroups(r.discoveryErr); ok {
			msg = fmt.Sprintf("Discovery failed for some groups, %d failing: %v", len(groups), r.discoveryErr)
		}
		failed[corev1.NamespaceDeletionDiscoveryFailure] = failure(corev1.NamespaceDeletionDiscoveryFailure, "DiscoveryFailed", msg)
	}
	if r.parseErr != nil {
		failed[corev1.NamespaceDeletionGVParsingFailure] = failure(corev1.NamespaceDeletionGVParsingFailure, "GroupVersionParsingFailed", r.parseErr.Error())
	}
	if len(r.deleteErrs) > 0 {
		msg := fmt.Sprintf("Failed to delete all resource types, %d remaining: %v", len(r.deleteErrs), joinErrors(r.deleteErrs))
		failed[corev1.NamespaceDeletionContentFailure] = failure(corev1.NamespaceDeletionContentFailure, "ContentDeletionFailed", msg)
	}
	if len(r.remaining) > 0 {
		var parts []string
		for gvr, n := range r.remaining {
			parts = append(parts, fmt.Sprintf("%s has %d resource instances", gvr.GroupResource(), n))
		}
		slices.Sort(parts)
		msg := "Some resources are remaining: " + strings.Join(parts, ", ")
		failed[corev1.NamespaceContentRemaining] = failure(corev1.NamespaceContentRemaining, "SomeResourcesRemain", msg)
	}
	if len(r.finalizers) > 0 {
		var parts []string
		for f, n := range r.finalizers {
			parts = append(parts, fmt.Sprintf("%s in %d resource instances", f, n))
		}
		slices.Sort(parts)
		msg := "Some content in the namespace has finalizers remaining: " + strings.Join(parts, ", ")
		failed[corev1.NamespaceFinalizersRemaining] = failure(corev1.NamespaceFinalizersRemaining, "SomeFinalizersRemain", msg)
	}

	out := make([]corev1.NamespaceCondition, 0, len(conditionTypes))
	for _, t := range conditionTypes {
		if c, ok := failed[t]; ok {
			out = append(out, c)
			continue
		}
		h := healthyConditions[t]
		out = append(out, corev1.NamespaceCondition{Type: t, Status: corev1.ConditionFalse, Reason: h.reason, Message: h.message})
	}
	return out
}

func failure(t corev1.NamespaceConditionType, reason, message string) corev1.NamespaceCondition {
	return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: message}
}

// joinErrors renders errors on one line, sorted so the message is stable
// across passes and does not cause needless status writes.
func joinErrors(errs []error) string {
	msgs := make([]string, 0, len(errs))
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	slices.Sort(msgs)
	return "[" + strings.Join(msgs, ", ") + "]"
}

// mergeConditions writes desired into existing and reports whether anything
// changed. A condition whose status, reason and message are unchanged is kept
// as it is; lastTransitionTime moves only when the status flips, as the API
// conventions define it. Conditions of other types are left alone.
func mergeConditions(existing []corev1.NamespaceCondition, desired []corev1.NamespaceCondition, now metav1.Time) ([]corev1.NamespaceCondition, bool) {
	out := slices.Clone(existing)
	changed := false
	for _, want := range desired {
		i := slices.IndexFunc(out, func(c corev1.NamespaceCondition) bool { return c.Type == want.Type })
		if i < 0 {
			want.LastTransitionTime = now
			out = append(out, want)
			changed = true
			continue
		}
		have := out[i]
		if have.Status == want.Status && have.Reason == want.Reason && have.Message == want.Message {
			continue
		}
		want.LastTransitionTime = have.LastTransitionTime
		if have.Status != want.Status || want.LastTransitionTime.IsZero() {
			want.LastTransitionTime = now
		}
		out[i] = want
		changed = true
	}
	return out, changed
}
