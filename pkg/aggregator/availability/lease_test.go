package availability

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	kubefake "k8s.io/client-go/kubernetes/fake"
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
