package availability

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
)

// A slower but healthy backend must see every probe through to its answer,
// even when a faster address has already passed: a cancelled request is a
// "Handler timeout" in its log and a request termination in its metrics
// (issue 9: 248 of them in 38 minutes on healthy sample-apiservers).
func TestProbeDoesNotCancelASlowHealthyBackend(t *testing.T) {
	p := newPKI(t)
	var answered, cancelled atomic.Int32
	slow := newBackend(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(300 * time.Millisecond):
			answered.Add(1)
		case <-r.Context().Done():
			cancelled.Add(1)
		}
	}))
	fast := newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK))
	svc, objs := serving(t, p, slow, fast)
	f := newFixture(t, p, Config{ProbeTimeout: 5 * time.Second, DisableConnectionWatch: true}, []runtime.Object{svc}, objs...)

	const probes = 3
	for range probes {
		if err := f.controller.sync(context.Background(), testAPIService); err != nil {
			t.Fatalf("sync: %v", err)
		}
	}
	// A probe cancelled early never reaches the backend at all, so wait for
	// the answers only as long as they could possibly take.
	for deadline := time.Now().Add(20 * time.Second); answered.Load() < probes && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := answered.Load(); n != probes {
		t.Errorf("the slow, healthy backend answered %d of %d probes (%d cancelled while it handled them, the others before they reached it)",
			n, probes, cancelled.Load())
	}
	if cond := f.available(); cond == nil || cond.Status != "True" {
		t.Errorf("Available = %+v, want True", cond)
	}
}

// A probe that reaches no address (nothing listens) is repeated every
// unreachableRecheck however long the outage, so a restarted backend is
// found within that; a backend that answers but fails backs off instead,
// since each probe costs it a handshake and a request.
func TestFailingRecheck(t *testing.T) {
	p := newPKI(t)
	dead := newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK))
	dead.Close()
	broken := newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusServiceUnavailable))

	for _, tc := range []struct {
		name            string
		backend         string
		wantUnreachable bool
	}{
		{name: "nothing listens", wantUnreachable: true},
		{name: "answers 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := broken
			if tc.wantUnreachable {
				srv = dead
			}
			svc, objs := serving(t, p, srv)
			f := newFixture(t, p, Config{Period: time.Hour, ProbeTimeout: 2 * time.Second, DisableConnectionWatch: true},
				[]runtime.Object{svc}, objs...)
			var last time.Duration
			for i := range 12 {
				seen := f.controller.check(context.Background(), svc)
				if seen.unreachable != tc.wantUnreachable {
					t.Fatalf("probe %d: unreachable = %v (%s), want %v", i, seen.unreachable, seen.condition.Message, tc.wantUnreachable)
				}
				last = f.controller.failingRecheck(svc.Name, seen)
			}
			if tc.wantUnreachable && last != unreachableRecheck {
				t.Errorf("after 12 refused probes the next is in %v, want %v", last, unreachableRecheck)
			}
			if !tc.wantUnreachable && last <= 10*unreachableRecheck {
				t.Errorf("after 12 failed probes of an answering backend the next is in %v, want a grown backoff", last)
			}
		})
	}
}
