package chaos

import (
	"sync"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/topology"
)

// writeNamespace is where the client writes.
const writeNamespace = "chaos"

// env is the running topology and what the suite records about it.
type env struct {
	*topology.Topology
	t      *testing.T
	health *backendHealth
	// hold is how long a fault lasts before its repair.
	hold   time.Duration
	status *statusWatch
	writer *writer
}

// startEnv starts the topology; both backends count as healthy once it is
// Available.
func startEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, health: newBackendHealth(len(topology.BackendHosts)), Topology: topology.Start(t, writeNamespace)}
	for i := range e.Backends {
		e.health.set(i, true)
	}
	return e
}

// startBackend starts backend replica i and marks it healthy once it
// answers /readyz.
func (e *env) startBackend(i int) {
	e.StartBackend(i)
	e.health.set(i, true)
}

// killBackend SIGKILLs backend replica i; it counts as unhealthy from just
// before the signal.
func (e *env) killBackend(i int) {
	e.health.set(i, false)
	e.Backends[i].Stop()
}

// backendHealth is when each backend replica was able to answer: up from
// its /readyz answering to just before it is killed or made to hang.
type backendHealth struct {
	mu      sync.Mutex
	up      []bool
	changes []healthChange
}

type healthChange struct {
	at      time.Time
	healthy int // backends healthy from this moment
}

func newBackendHealth(n int) *backendHealth {
	return &backendHealth{up: make([]bool, n), changes: []healthChange{{at: time.Now(), healthy: 0}}}
}

func (h *backendHealth) set(i int, up bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.up[i] = up
	n := 0
	for _, u := range h.up {
		if u {
			n++
		}
	}
	h.changes = append(h.changes, healthChange{at: time.Now(), healthy: n})
}

// healthyThroughout reports whether at least one backend was healthy at
// every moment of [from, to].
func (h *backendHealth) healthyThroughout(from, to time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, c := range h.changes {
		end := time.Now()
		if i+1 < len(h.changes) {
			end = h.changes[i+1].at
		}
		overlaps := c.at.Before(to) && end.After(from)
		if overlaps && c.healthy == 0 {
			return false
		}
	}
	return true
}
