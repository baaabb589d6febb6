package openapi

import (
	"time"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/aggregator/firstround"
)

// PostStartHookName is the name under which to add Controller.PostStartHook;
// it shows as /readyz/poststarthook/<name>.
const PostStartHookName = "apiservice-openapi-controller"

// DefaultReadinessWait is how long PostStartHook holds readiness back for the
// first round of backend fetches.
const DefaultReadinessWait = 5 * time.Second

// PostStartHook returns a hook that takes server's OpenAPI services (created
// by PrepareRun, so read when the hook runs), runs the Controller with
// workers goroutines for the server's lifetime, and holds readiness until
// every remote APIService known at start has been fetched once, but never
// longer than maxWait (0 means DefaultReadinessWait): a dead backend must not
// keep the server unready. If the server serves no OpenAPI the hook logs
// why and does nothing.
func (c *Controller) PostStartHook(server *genericapiserver.GenericAPIServer, workers int, maxWait time.Duration) genericapiserver.PostStartHookFunc {
	if maxWait <= 0 {
		maxWait = DefaultReadinessWait
	}
	return func(hookContext genericapiserver.PostStartHookContext) error {
		builtinV3 := builtinV3Keys(server.Handler.GoRestfulContainer.RegisteredWebServices())
		if err := c.attach(server.OpenAPIVersionedService, server.StaticOpenAPISpec, server.OpenAPIV3VersionedService, builtinV3); err != nil {
			klog.ErrorS(err, "Remote APIServices stay out of /openapi/v2 and /openapi/v3")
			return nil
		}
		go c.Run(hookContext, workers)
		firstround.Wait(hookContext, c.Initialized(), maxWait, "unanswered group/versions appear in OpenAPI when they answer")
		return nil
	}
}
