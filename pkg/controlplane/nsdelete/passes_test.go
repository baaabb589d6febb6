package nsdelete

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
)

// TestContentHeldByFinalizersAcrossPasses follows a namespace whose content
// waits on an object finalizer: the first pass records what remains, a pass
// that finds the same state writes nothing, and once the finalizer is released
// the namespace is finalized and deleted.
func TestContentHeldByFinalizersAcrossPasses(t *testing.T) {
	h := newHarness(t, harnessConfig{
		namespaces: []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
		objects:    []runtime.Object{object(widgets, "Widget", doomed, "w", "example.com/hold")},
	})
	ctx := context.Background()
	var remain *contentRemainingError

	// Pass 1: the widget is asked to go and stays, held by its finalizer.
	if err := h.deleter.delete(ctx, doomed); !errors.As(err, &remain) {
		t.Fatalf("pass 1: error %v, want content remaining", err)
	}
	firstTransition := h.namespace(t, doomed).Status.Conditions
	if diff := cmp.Diff([]string{"get namespaces doomed", "update namespaces/status doomed"}, describe(h.core.Actions())); diff != "" {
		t.Errorf("pass 1 namespace calls (-want +got):\n%s", diff)
	}

	// Pass 2: same state, so no status write and no second delete call.
	h.clearActions()
	h.clock.SetTime(now.Add(time.Minute))
	if err := h.deleter.delete(ctx, doomed); !errors.As(err, &remain) {
		t.Fatalf("pass 2: error %v, want content remaining", err)
	}
	if diff := cmp.Diff([]string{"get namespaces doomed"}, describe(h.core.Actions())); diff != "" {
		t.Errorf("pass 2 namespace calls (-want +got):\n%s", diff)
	}
	wantMetadata := []string{"delete-collection configmaps doomed", "list configmaps doomed", "list widgets doomed"}
	if diff := cmp.Diff(wantMetadata, describe(h.metadata.Actions())); diff != "" {
		t.Errorf("pass 2 metadata calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(firstTransition, h.namespace(t, doomed).Status.Conditions); diff != "" {
		t.Errorf("pass 2 changed conditions (-before +after):\n%s", diff)
	}

	// The holder releases the widget; the server removes it.
	if err := h.metadata.Tracker().Delete(widgets, doomed, "w"); err != nil {
		t.Fatal(err)
	}

	// Pass 3: empty, so conditions turn healthy, then finalize and delete.
	h.clearActions()
	if err := h.deleter.delete(ctx, doomed); err != nil {
		t.Fatalf("pass 3: %v", err)
	}
	want := []string{
		"get namespaces doomed",
		"update namespaces/status doomed",
		"create namespaces/finalize doomed",
		"delete namespaces doomed",
	}
	if diff := cmp.Diff(want, describe(h.core.Actions())); diff != "" {
		t.Errorf("pass 3 namespace calls (-want +got):\n%s", diff)
	}
	// The status written in pass 3 moved the flipped conditions' transition
	// time and kept the others'.
	var written *corev1.Namespace
	for _, a := range h.core.Actions() {
		if a.GetSubresource() == "status" {
			written = a.(interface{ GetObject() runtime.Object }).GetObject().(*corev1.Namespace)
		}
	}
	for _, c := range written.Status.Conditions {
		flipped := c.Type == corev1.NamespaceContentRemaining || c.Type == corev1.NamespaceFinalizersRemaining
		wantTime := metav1.NewTime(now)
		if flipped {
			wantTime = metav1.NewTime(now.Add(time.Minute))
		}
		if !c.LastTransitionTime.Equal(&wantTime) {
			t.Errorf("condition %s lastTransitionTime = %v, want %v", c.Type, c.LastTransitionTime, wantTime)
		}
	}
	if ns := h.namespace(t, doomed); ns != nil {
		t.Errorf("namespace still exists: %+v", ns)
	}
}

// TestDiscoveryFailureRetried checks that a pass after a partial discovery
// failure asks discovery again (once the failed snapshot is a second old)
// and then finishes the job.
func TestDiscoveryFailureRetried(t *testing.T) {
	unavailable := apierrors.NewServiceUnavailable("widget backend down")
	failing := map[string]error{"example.com/v1": unavailable, "example.com/v1beta1": unavailable}
	h := newHarness(t, harnessConfig{
		namespaces:    []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
		objects:       commonObjects(),
		failingGroups: failing,
	})
	ctx := context.Background()

	if err := h.deleter.delete(ctx, doomed); err == nil {
		t.Fatal("pass 1 succeeded despite discovery failure")
	}
	// Within a second the failed snapshot is reused: no new discovery round.
	h.clock.SetTime(now.Add(500 * time.Millisecond))
	if err := h.deleter.delete(ctx, doomed); err == nil {
		t.Fatal("pass 2 succeeded despite discovery failure")
	}
	if got := discoveryRounds(h.discovery); got != 1 {
		t.Errorf("discovery rounds after two quick passes = %d, want 1", got)
	}

	// The aggregated server comes back.
	clear(failing)
	h.clock.SetTime(now.Add(2 * time.Second))
	h.clearActions()
	if err := h.deleter.delete(ctx, doomed); err != nil {
		t.Fatalf("pass 3: %v", err)
	}
	if got := discoveryRounds(h.discovery); got != 1 {
		t.Errorf("discovery rounds in pass 3 = %d, want 1", got)
	}
	if diff := cmp.Diff([]string{"list widgets doomed", "delete widgets doomed/w", "list widgets doomed"}, describe(h.metadata.Actions())[2:]); diff != "" {
		t.Errorf("pass 3 widget calls (-want +got):\n%s", diff)
	}
	if ns := h.namespace(t, doomed); ns != nil {
		t.Errorf("namespace still exists, conditions %+v", ns.Status.Conditions)
	}
}

// TestUnservedTypeForgetsDiscovery checks that a discovered type the server no
// longer serves is skipped and makes the next pass run discovery again, while
// passes over other namespaces otherwise share one discovery round.
func TestUnservedTypeForgetsDiscovery(t *testing.T) {
	tests := []struct {
		name       string
		unserved   bool
		wantRounds int
	}{
		{name: "all types served: one shared round", wantRounds: 1},
		{name: "configmaps no longer served: rediscover", unserved: true, wantRounds: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessConfig{
				namespaces: []runtime.Object{
					terminating(doomed, corev1.FinalizerKubernetes),
					terminating("second", corev1.FinalizerKubernetes),
				},
			})
			if tt.unserved {
				h.metadata.PrependReactor("delete-collection", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewNotFound(configMaps.GroupResource(), "")
				})
			}
			for _, name := range []string{doomed, "second"} {
				if err := h.deleter.delete(context.Background(), name); err != nil {
					t.Fatalf("delete %s: %v", name, err)
				}
				if ns := h.namespace(t, name); ns != nil {
					t.Errorf("namespace %s still exists", name)
				}
			}
			if got := discoveryRounds(h.discovery); got != tt.wantRounds {
				t.Errorf("discovery rounds = %d, want %d", got, tt.wantRounds)
			}
		})
	}
}
