package chaos

import (
	"testing"
	"time"
)

// TestInvariantChecksCatchViolations feeds the checks TestChaos asserts
// with made-up histories that break them, so a check that cannot fail
// shows up here in milliseconds rather than never.
func TestInvariantChecksCatchViolations(t *testing.T) {
	t0 := time.Now()
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

	writes := []write{{kind: "ConfigMap", seq: 1, acked: true}, {kind: "ConfigMap", seq: 2, acked: true},
		{kind: "ConfigMap", seq: 3}, {kind: "Flunder", seq: 4, acked: true}}
	if lost := lostWrites(writes, "ConfigMap", map[int]bool{1: true, 2: false}, 0); len(lost) != 1 {
		t.Errorf("an acknowledged write stored with the wrong content must count as lost: %v", lost)
	}
	if lost := lostWrites(writes, "ConfigMap", map[int]bool{2: true}, 0); len(lost) != 1 {
		t.Errorf("a missing acknowledged write must count as lost, an unacknowledged one not: %v", lost)
	}

	// Backend 0 up from 1s; backend 1 up from 1s, down from 10s; backend 0
	// down from 20s to 30s: none healthy in [20s, 30s).
	h := &backendHealth{up: []bool{false, false}, changes: []healthChange{{at: at(0), healthy: 0},
		{at: at(1), healthy: 2}, {at: at(10), healthy: 1}, {at: at(20), healthy: 0}, {at: at(30), healthy: 1}}}
	obs := []observation{
		{replica: 0, at: at(2), rv: "10", status: "True", transition: at(2)},
		{replica: 0, at: at(12), rv: "11", status: "False", reason: "FailedDiscoveryCheck", transition: at(12)},
		{replica: 1, at: at(12.3), rv: "11", status: "False", transition: at(12)},
		{replica: 0, at: at(15), rv: "12", status: "True", transition: at(15)},
		{replica: 0, at: at(21), rv: "13", status: "False", transition: at(21)},
	}
	states := statusStates(obs)
	flips := falseFlips(states, h)
	if len(flips) != 2 || !flips[0].healthy || flips[1].healthy {
		t.Errorf("want the flip at 12s (a backend was up) flagged and the one at 21s (none up) not: %+v", flips)
	}
	worst, _, missed := disagreement(states, 2)
	if worst != 300*time.Millisecond || missed != 3 {
		t.Errorf("disagreement: worst %s, %d states missed; want 300ms and 3", worst, missed)
	}
}
