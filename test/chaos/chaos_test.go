package chaos

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// shortProfile is what CI runs by default: each fault whose invariants hold
// on main today, alone, then a short random mix of them. Every fault's
// invariants hold today; holderKill runs only in -long because it waits
// out the 15 s Lease expiry and would push the profile past 3 minutes.
var shortProfile = []fault{aggkitKill, etcdLeaderKill, backendKill, backendsDown, backendHang, etcdPartition}

// longProfile is every fault alone, then a longer mix.
var longProfile = []fault{aggkitKill, etcdLeaderKill, backendKill, backendsDown, backendHang, etcdPartition, holderKill}

// TestChaos writes through three aggkit replicas on a three-member etcd to
// two sample-apiserver replicas while faults strike, then checks that no
// acknowledged write was lost and that Available never turned False while
// a healthy backend remained, and prints what each fault cost the client.
func TestChaos(t *testing.T) {
	pool, mixed, settle, hold := shortProfile, 3, time.Second, 4*time.Second
	if *long {
		pool, mixed, settle, hold = longProfile, 15, 4*time.Second, 8*time.Second
	}
	rng := rand.New(rand.NewSource(*seed))
	began := time.Now()
	e := startEnv(t)
	started := time.Since(began)
	e.hold = hold

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	e.status = watchStatus(ctx, e)
	w := newWriter(t, e)
	e.writer = w
	writers := w.run(ctx, 2, 50*time.Millisecond)
	time.Sleep(3 * time.Second) // a baseline before the first fault

	var mixPool []fault
	for _, f := range pool {
		if f.name != holderKill.name {
			mixPool = append(mixPool, f)
		}
	}
	runs := runFaults(e, append(append([]fault(nil), pool...), mix(mixPool, rng, mixed)...), rng, settle)
	stop()
	writers.Wait()

	writes := w.snapshot()
	lost := e.readBackAll(w, writes)
	states := statusStates(e.status.snapshot())
	flips := falseFlips(states, e.health)
	worst, median, missed := disagreement(states, len(e.Replicas))

	var report strings.Builder
	acked := 0
	for _, wr := range writes {
		if wr.acked {
			acked++
		}
	}
	fmt.Fprintf(&report, "\nchaos run: seed %d, long=%v, %d faults, setup %s, total %s\n\n", *seed, *long, len(runs),
		started.Round(time.Second), time.Since(began).Round(time.Second))
	fmt.Fprintf(&report, "| invariant | result |\n|---|---|\n")
	fmt.Fprintf(&report, "| acknowledged writes lost (read back from each of %d replicas) | %d of %d |\n", len(e.Replicas), len(lost), acked)
	healthyFlips := 0
	for _, f := range flips {
		if f.healthy {
			healthyFlips++
		}
	}
	fmt.Fprintf(&report, "| Available flips to False while a healthy backend remained | %d (of %d flips to False) |\n", healthyFlips, len(flips))
	fmt.Fprintf(&report, "| replicas' views of the APIService: last minus first to show a state | worst %s, median %s over %d states; %d states not shown by every replica |\n\n",
		worst.Round(time.Millisecond), median.Round(time.Millisecond), len(states), missed)
	report.WriteString(faultTable(runs, writes))
	if tt := takeoverTable(runs); strings.Count(tt, "\n") > 2 {
		report.WriteString("\n" + tt)
	}
	if len(w.examples) > 0 {
		report.WriteString("\nOne message per error kind:\n")
		for k, msg := range w.examples {
			fmt.Fprintf(&report, "- %s: %s\n", k, strings.TrimSpace(msg[:min(len(msg), 240)]))
		}
	}
	fmt.Print(report.String())

	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost: %s", len(lost), strings.Join(lost[:min(len(lost), 20)], ", "))
	}
	for _, f := range flips {
		if f.healthy {
			t.Errorf("Available turned False (%s, rv %s, lastTransitionTime %s, first shown %s) while a healthy backend remained",
				f.reason, f.rv, f.transition.Format(time.TimeOnly), f.seen.Format("15:04:05.000"))
		}
	}
	if acked == 0 {
		t.Errorf("no write was acknowledged: the client never worked")
	}
}

// readBackAll reads every acknowledged write back from every replica, once
// the topology has recovered, and lists what is missing or wrong.
func (e *env) readBackAll(w *writer, writes []write) []string {
	e.WaitAvailable(90 * time.Second)
	var lost []string
	for r := range e.Replicas {
		for _, kind := range writeKinds {
			var got map[int]bool
			var err error
			for range 20 { // the replica may still be coming back from the last fault
				if got, err = w.readBack(r, kind); err == nil {
					break
				}
				time.Sleep(time.Second)
			}
			if err != nil {
				e.t.Fatalf("read back %ss from replica %d: %v", kind.name, r, err)
			}
			lost = append(lost, lostWrites(writes, kind.name, got, r)...)
		}
	}
	return lost
}

// lostWrites lists the acknowledged writes of kind that replica did not
// return as written (got maps seq to whether the stored object matched).
func lostWrites(writes []write, kind string, got map[int]bool, replica int) []string {
	var lost []string
	for _, wr := range writes {
		if wr.acked && wr.kind == kind && !got[wr.seq] {
			lost = append(lost, fmt.Sprintf("%s %d on replica %d", wr.kind, wr.seq, replica))
		}
	}
	return lost
}

// waitRecovered keeps the client writing until a write of each kind sent
// after since has been acknowledged, so the last fault's recovery is
// measured too.
func (w *writer) waitRecovered(since time.Time, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		recovered := map[string]bool{}
		for _, wr := range w.snapshot() {
			if wr.acked && !wr.start.Before(since) {
				recovered[wr.kind] = true
			}
		}
		if len(recovered) == len(writeKinds) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
