package availability

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

// Two replicas on one store: exactly one writes; when it stops, the other
// takes over and is told to resync.
func TestLeaseElectorElectsOneWriter(t *testing.T) {
	client := kubefake.NewClientset()
	var resyncs [2]atomic.Int32
	var electors [2]*LeaseElector
	var cancels [2]context.CancelFunc
	for i := range electors {
		e, err := NewLeaseElector(LeaseConfig{
			Client:        client.CoordinationV1(),
			Identity:      []string{"replica-a", "replica-b"}[i],
			LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond,
			OnStartedLeading: func() { resyncs[i].Add(1) },
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		electors[i], cancels[i] = e, cancel
		go e.Run(ctx)
	}
	leaders := func() []int {
		var out []int
		for i, e := range electors {
			if e.IsLeader() {
				out = append(out, i)
			}
		}
		return out
	}
	eventually(t, 10*time.Second, "one leader", func() bool { return len(leaders()) == 1 })
	first := leaders()[0]
	if resyncs[first].Load() != 1 {
		t.Errorf("leader resynced %d times, want 1", resyncs[first].Load())
	}

	cancels[first]() // releases the Lease
	other := 1 - first
	took := eventually(t, 20*time.Second, "the other replica leads", func() bool {
		l := leaders()
		return len(l) == 1 && l[0] == other
	})
	t.Logf("writer handed over in %v", took)
	if resyncs[other].Load() != 1 {
		t.Errorf("new leader resynced %d times, want 1", resyncs[other].Load())
	}
}

// A writer that dies without releasing the Lease (SIGKILL) and comes back
// under the same identity takes it back at once: the Lease here lasts an
// hour, so leading again at all proves it did not wait for it to expire,
// and the other replica, whose identity differs, must keep waiting.
func TestLeaseTakenBackAfterUncleanRestart(t *testing.T) {
	store := kubefake.NewClientset()
	// The first incarnation talks to the store through a client that can
	// die: once dead, every request fails, so nothing is released.
	var dead atomic.Bool
	dying := kubefake.NewClientset()
	dying.ReactionChain = nil
	dying.AddReactor("*", "*", func(clienttesting.Action) (bool, runtime.Object, error) {
		if dead.Load() {
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
	dying.AddReactor("*", "*", clienttesting.ObjectReaction(store.Tracker()))

	start := func(client coordinationv1client.LeasesGetter, identity string) (*LeaseElector, context.CancelFunc, <-chan struct{}) {
		e, err := NewLeaseElector(LeaseConfig{Client: client, Identity: identity,
			LeaseDuration: time.Hour, RenewDeadline: time.Minute, RetryPeriod: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		done := make(chan struct{})
		go func() { defer close(done); e.Run(ctx) }()
		return e, cancel, done
	}
	first, kill, exited := start(dying.CoordinationV1(), "host_10.0.0.1:6443")
	eventually(t, 10*time.Second, "the first replica leads", first.IsLeader)
	dead.Store(true)
	kill()
	<-exited
	lease, err := store.CoordinationV1().Leases(DefaultLeaseNamespace).Get(context.Background(), DefaultLeaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := ptr.Deref(lease.Spec.HolderIdentity, ""); h != "host_10.0.0.1:6443" {
		t.Fatalf("after the unclean death the Lease is held by %q, want the dead replica", h)
	}

	other, _, _ := start(store.CoordinationV1(), "host_10.0.0.2:6443")
	restarted, _, _ := start(store.CoordinationV1(), "host_10.0.0.1:6443")
	took := eventually(t, 10*time.Second, "the restarted replica leads again", restarted.IsLeader)
	t.Logf("restarted replica took its Lease back in %v (Lease duration 1h)", took)
	if other.IsLeader() {
		t.Error("a replica with another identity leads while the Lease is still valid")
	}
}
