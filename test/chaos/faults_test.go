package chaos

import (
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"time"

	"github.com/aggkit/aggkit/test/topology"
)

// fault breaks one thing, waits, repairs it and waits until the repaired
// part serves again. It returns what exactly it broke.
type fault struct {
	name string
	run  func(e *env, rng *rand.Rand, run *faultRun) string
}

// faultRun is one injected fault: from the moment it struck until the
// window closed (repair plus a settling time).
type faultRun struct {
	name, detail string
	start, end   time.Time
	takeover     *takeover
}

// takeover is what the availability Lease did after its holder died.
type takeover struct {
	winner        string // "restarted" or "survivor"
	deathToLease  time.Duration
	leaseToStatus time.Duration
	err           string
}

var (
	aggkitKill = fault{name: "aggkit replica SIGKILL+restart", run: func(e *env, rng *rand.Rand, _ *faultRun) string {
		r := rng.Intn(len(e.Replicas))
		e.Replicas[r].Kill()
		time.Sleep(time.Second)
		e.Replicas[r].Start()
		return fmt.Sprintf("replica %d", r)
	}}
	etcdLeaderKill = fault{name: "etcd leader SIGKILL+restart", run: func(e *env, _ *rand.Rand, _ *faultRun) string {
		m, err := e.Etcd.Leader()
		if err != nil {
			e.t.Fatal(err)
		}
		e.Etcd.Kill(m)
		time.Sleep(2 * time.Second)
		if err := e.Etcd.Restart(m); err != nil {
			e.t.Fatalf("etcd %s after restart: %v\n%s", m.Name, err, m.Log())
		}
		return m.Name
	}}
	backendKill = fault{name: "backend replica SIGKILL+restart", run: func(e *env, rng *rand.Rand, _ *faultRun) string {
		i := rng.Intn(len(e.Backends))
		e.killBackend(i)
		time.Sleep(e.hold / 2)
		e.startBackend(i)
		return topology.BackendHosts[i]
	}}
	backendsDown = fault{name: "both backends down, then one back", run: func(e *env, rng *rand.Rand, _ *faultRun) string {
		for i := range e.Backends {
			e.killBackend(i)
		}
		time.Sleep(e.hold / 2)
		first := rng.Intn(len(e.Backends))
		e.startBackend(first)
		e.WaitAvailable(60 * time.Second)
		time.Sleep(2 * time.Second)
		e.startBackend(1 - first)
		return topology.BackendHosts[first] + " back first"
	}}
	backendHang = fault{name: "backend hangs (accepts, never answers)", run: func(e *env, rng *rand.Rand, _ *faultRun) string {
		i := rng.Intn(len(e.Backends))
		e.killBackend(i)
		h, err := listenHanging(net.JoinHostPort(topology.BackendHosts[i], strconv.Itoa(e.Port)))
		if err != nil {
			e.t.Fatal(err)
		}
		time.Sleep(e.hold)
		h.close()
		e.startBackend(i)
		return topology.BackendHosts[i]
	}}
	etcdPartition = fault{name: "aggkit replica 2 partitioned from etcd", run: func(e *env, _ *rand.Rand, _ *faultRun) string {
		for _, p := range e.Partition {
			p.SetMode(topology.Stall)
		}
		time.Sleep(e.hold)
		for _, p := range e.Partition {
			p.SetMode(topology.Forward)
		}
		return fmt.Sprintf("%s stall, all 3 members", e.hold)
	}}
	// holderKill measures the Lease takeover: the status writer dies
	// uncleanly while both backends go away, so the stored status is stale
	// until a replica takes the Lease and writes Available=False.
	holderKill = fault{name: "lease holder SIGKILL+restart, backends down", run: func(e *env, _ *rand.Rand, run *faultRun) string {
		before := leaseAcquisitions(e)
		holder := leaseHolder(e)
		identity, _ := leaseHolderIdentity(e)
		if holder < 0 {
			e.t.Fatal("no replica logged taking the availability lease")
		}
		died := time.Now()
		e.Replicas[holder].Kill()
		for i := range e.Backends {
			e.killBackend(i)
		}
		e.Replicas[holder].Start()
		to := &takeover{}
		run.takeover = to
		var acquired time.Time
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if id, at := leaseHolderIdentity(e); id != "" && id != identity {
				acquired = at
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if acquired.IsZero() {
			to.err = "no replica took the lease within 60s"
		} else {
			to.deathToLease = acquired.Sub(died)
			after := leaseAcquisitions(e)
			for i := range after {
				if i == holder && after[i] > 0 {
					to.winner = "restarted"
				} else if i != holder && after[i] > before[i] {
					to.winner = "survivor"
				}
			}
			written := e.waitObserved(acquired, "False", 60*time.Second)
			if written.IsZero() {
				to.err = "Available=False not written within 60s of taking the lease"
			} else {
				to.leaseToStatus = written.Sub(acquired)
			}
		}
		for i := range e.Backends {
			e.startBackend(i)
		}
		e.WaitAvailable(60 * time.Second)
		return fmt.Sprintf("replica %d", holder)
	}}
)

// waitObserved is when any replica first showed status after since.
func (e *env) waitObserved(since time.Time, status string, timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, o := range e.status.snapshot() {
			if o.status == status && o.at.After(since) {
				return o.at
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Time{}
}

// runFaults runs each fault in turn, recording its window, with settle of
// quiet after each.
func runFaults(e *env, faults []fault, rng *rand.Rand, settle time.Duration) []faultRun {
	var runs []faultRun
	for _, f := range faults {
		run := faultRun{name: f.name, start: time.Now()}
		e.t.Logf("fault: %s", f.name)
		run.detail = f.run(e, rng, &run)
		// The window lasts until the client works again (each kind of write
		// sent after the repair acknowledged), so a fault's tail is not
		// billed to the next one.
		e.writer.waitRecovered(time.Now(), 60*time.Second)
		time.Sleep(settle)
		run.end = time.Now()
		runs = append(runs, run)
	}
	return runs
}

// mix is n faults drawn at random from pool.
func mix(pool []fault, rng *rand.Rand, n int) []fault {
	var out []fault
	for range n {
		out = append(out, pool[rng.Intn(len(pool))])
	}
	return out
}
