package controlplane

import (
	"context"
	"runtime/debug"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/footprint"
)

// releaseStartupMemory waits until the server is ready, then gives back what
// only start-up needed: the heap the Go runtime keeps after building every
// API, OpenAPI document and cache (a GC's worth, returned to the OS), and
// the executable's pages that only start-up touched (package initialisation,
// API installation: most of the binary's code and read-only data). The
// server then holds what it uses when idle, not what it used to start.
func (s *Server) releaseStartupMemory(ctx context.Context) {
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		body, err := s.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok", nil
	})
	if err != nil {
		return // stopping before ready
	}
	debug.FreeOSMemory()
	released, err := footprint.ReleaseExecutable()
	if err != nil {
		klog.V(2).InfoS("Start-up pages of the executable not released", "err", err)
		return
	}
	klog.V(2).InfoS("Released start-up memory", "executableBytes", released)
}
