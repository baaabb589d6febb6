package nsdelete

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	discoveryfake "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
	testingclock "k8s.io/utils/clock/testing"
)

func TestCatalogResources(t *testing.T) {
	d := &discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: servedResources()}}
	snap := newResourceCatalog(d, testingclock.NewFakePassiveClock(now)).snapshot(context.Background(), now)
	want := []deletableResource{
		// Sorted; cluster-scoped namespaces, subresources and create-only
		// bindings left out; widgets from the preferred version only.
		{gvr: configMaps, deleteCollection: true, list: true},
		{gvr: widgets, deleteCollection: false, list: true},
	}
	if diff := cmp.Diff(want, snap.resources, cmp.AllowUnexported(deletableResource{})); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if snap.discoveryErr != nil || snap.parseErr != nil {
		t.Errorf("errors: discovery %v, parse %v", snap.discoveryErr, snap.parseErr)
	}
}

// TestCatalogSnapshotReuse checks when a cached snapshot is reused: only when
// it was taken no earlier than asked, was not invalidated, and, if it missed
// groups, is less than a second old.
func TestCatalogSnapshotReuse(t *testing.T) {
	type step struct {
		at         time.Duration // fake time of the call, from now
		notBefore  time.Duration // from now
		invalidate bool          // invalidate before the call
		wantRounds int           // discovery rounds so far
	}
	tests := []struct {
		name    string
		failing bool
		steps   []step
	}{
		{
			name: "many namespaces deleted before the snapshot share it",
			steps: []step{
				{at: 0, notBefore: -10 * time.Second, wantRounds: 1},
				{at: time.Second, notBefore: -5 * time.Second, wantRounds: 1},
				{at: time.Hour, notBefore: 0, wantRounds: 1},
			},
		},
		{
			name: "a namespace deleted after the snapshot needs a new one",
			steps: []step{
				{at: 0, notBefore: -10 * time.Second, wantRounds: 1},
				{at: 3 * time.Second, notBefore: 2 * time.Second, wantRounds: 2},
				{at: 4 * time.Second, notBefore: 2 * time.Second, wantRounds: 2},
			},
		},
		{
			name: "invalidated snapshot is replaced",
			steps: []step{
				{at: 0, notBefore: -10 * time.Second, wantRounds: 1},
				{at: 0, notBefore: -10 * time.Second, invalidate: true, wantRounds: 2},
			},
		},
		{
			name:    "a snapshot that missed groups is retried after a second",
			failing: true,
			steps: []step{
				{at: 0, notBefore: -10 * time.Second, wantRounds: 1},
				{at: 999 * time.Millisecond, notBefore: -10 * time.Second, wantRounds: 1},
				{at: time.Second, notBefore: -10 * time.Second, wantRounds: 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: servedResources()}}
			d := &failingDiscovery{FakeDiscovery: fake}
			if tt.failing {
				d.failing = map[string]error{"example.com/v1": apierrors.NewServiceUnavailable("down")}
			}
			clock := testingclock.NewFakePassiveClock(now)
			c := newResourceCatalog(d, clock)
			for i, s := range tt.steps {
				clock.SetTime(now.Add(s.at))
				if s.invalidate {
					c.invalidate()
				}
				snap := c.snapshot(context.Background(), now.Add(s.notBefore))
				if got := discoveryRounds(fake); got != s.wantRounds {
					t.Errorf("step %d: discovery rounds = %d, want %d", i, got, s.wantRounds)
				}
				if got := snap.discoveryErr != nil; got != tt.failing {
					t.Errorf("step %d: discovery error %v, want failing %v", i, snap.discoveryErr, tt.failing)
				}
			}
		})
	}
}

func TestDiscoveryNotBefore(t *testing.T) {
	deleted := metav1.NewTime(now)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &deleted}}
	tests := []struct {
		name   string
		readAt time.Time
		want   time.Time
	}{
		// deletionTimestamp has second precision: the deletion happened
		// before the next second, so a snapshot from then on sees its types.
		{name: "read long after the deletion", readAt: now.Add(time.Minute), want: now.Add(time.Second)},
		// Within that second, reading the namespace proves the deletion
		// already happened.
		{name: "read within the deletion's second", readAt: now.Add(300 * time.Millisecond), want: now.Add(300 * time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := discoveryNotBefore(ns, tt.readAt); !got.Equal(tt.want) {
				t.Errorf("discoveryNotBefore = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeletable(t *testing.T) {
	gv := schema.GroupVersion{Group: "example.com", Version: "v1"}
	tests := []struct {
		name     string
		resource metav1.APIResource
		want     bool
	}{
		{"deletecollection", metav1.APIResource{Name: "a", Namespaced: true, Verbs: []string{"delete", "deletecollection"}}, true},
		{"list and delete", metav1.APIResource{Name: "a", Namespaced: true, Verbs: []string{"delete", "list"}}, true},
		{"delete only: objects cannot be found", metav1.APIResource{Name: "a", Namespaced: true, Verbs: []string{"delete"}}, false},
		{"no delete", metav1.APIResource{Name: "a", Namespaced: true, Verbs: []string{"list", "deletecollection"}}, false},
		{"cluster scoped", metav1.APIResource{Name: "a", Verbs: []string{"delete", "list", "deletecollection"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := deletable(gv, tt.resource); got != tt.want {
				t.Errorf("deletable = %v, want %v", got, tt.want)
			}
		})
	}
}
