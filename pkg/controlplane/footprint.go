package controlplane

import (
	"context"
	"runtime/debug"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// releaseStartupMemory waits until the server is ready, then returns to the
// OS the heap the Go runtime keeps after building every API, OpenAPI
// document and cache, which only start-up needed.
func (s *Server) releaseStartupMemory(ctx context.Context) {
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		body, err := s.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok", nil
	})
	if err != nil {
		return // stopping before ready
	}
	debug.FreeOSMemory()
}
