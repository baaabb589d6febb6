package controlplane

import (
	"context"
	"runtime/debug"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// startupGCPercent is GOGC while a server starts. Start-up allocates
// several times the heap it leaves behind (schemes, stores, handlers, the
// first lists and watches); at the default of 100 the collector runs about
// ten times over it, for a tenth of the CPU a start takes. The heap a start
// leaves is given back once the server is ready (releaseStartupMemory), so
// the higher peak does not outlive the start.
const startupGCPercent = 400

// startupGC counts the servers of this process that are starting. GOGC is
// process-wide: servers started together (aggtest runs two) share one
// raise, and the last to be ready puts back the value the first found.
var startupGC gcRaise

// gcRaise is one process's raise of GOGC while servers start.
type gcRaise struct {
	mu       sync.Mutex
	starting int
	saved    int
}

// relaxGCForStartup raises GOGC until the returned function is called (at
// most once counts), unless GOGC is already higher or off.
func relaxGCForStartup() (done func()) { return startupGC.raise() }

func (g *gcRaise) raise() (done func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.starting == 0 {
		g.saved = debug.SetGCPercent(startupGCPercent)
		if g.saved < 0 || g.saved > startupGCPercent {
			debug.SetGCPercent(g.saved)
		}
	}
	g.starting++
	return sync.OnceFunc(func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.starting--; g.starting == 0 {
			debug.SetGCPercent(g.saved)
		}
	})
}

// releaseStartupMemory waits until the server is ready, puts back the GC
// setting start-up relaxed, then returns to the OS the heap the Go runtime
// keeps after building every API and cache, which only start-up needed.
func (s *Server) releaseStartupMemory(ctx context.Context) {
	defer s.startupDone()
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		body, err := s.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok", nil
	})
	if err != nil {
		return // stopping before ready
	}
	debug.FreeOSMemory()
}
