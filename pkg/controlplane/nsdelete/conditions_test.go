package nsdelete

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMergeConditions(t *testing.T) {
	earlier := metav1.NewTime(now.Add(-time.Hour))
	later := metav1.NewTime(now)
	cond := func(typ corev1.NamespaceConditionType, status corev1.ConditionStatus, reason, msg string, at metav1.Time) corev1.NamespaceCondition {
		return corev1.NamespaceCondition{Type: typ, Status: status, Reason: reason, Message: msg, LastTransitionTime: at}
	}
	remaining := corev1.NamespaceContentRemaining
	tests := []struct {
		name        string
		existing    []corev1.NamespaceCondition
		desired     []corev1.NamespaceCondition
		want        []corev1.NamespaceCondition
		wantChanged bool
	}{
		{
			name:        "new condition gets the current time",
			desired:     []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "a", metav1.Time{})},
			want:        []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "a", later)},
			wantChanged: true,
		},
		{
			name:     "same status, reason and message: untouched",
			existing: []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "a", earlier)},
			desired:  []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "a", metav1.Time{})},
			want:     []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "a", earlier)},
		},
		{
			name:        "new message, same status: transition time kept",
			existing:    []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "a", earlier)},
			desired:     []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "b", metav1.Time{})},
			want:        []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "b", earlier)},
			wantChanged: true,
		},
		{
			name:        "status flips: transition time moves",
			existing:    []corev1.NamespaceCondition{cond(remaining, "True", "SomeResourcesRemain", "a", earlier)},
			desired:     []corev1.NamespaceCondition{cond(remaining, "False", "ContentRemoved", "ok", metav1.Time{})},
			want:        []corev1.NamespaceCondition{cond(remaining, "False", "ContentRemoved", "ok", later)},
			wantChanged: true,
		},
		{
			name:        "conditions of other types are kept",
			existing:    []corev1.NamespaceCondition{cond("example.com/Other", "True", "X", "x", earlier)},
			desired:     []corev1.NamespaceCondition{cond(remaining, "False", "ContentRemoved", "ok", metav1.Time{})},
			want:        []corev1.NamespaceCondition{cond("example.com/Other", "True", "X", "x", earlier), cond(remaining, "False", "ContentRemoved", "ok", later)},
			wantChanged: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := mergeConditions(tt.existing, tt.desired, later)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}
