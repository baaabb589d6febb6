package discovery

import (
	"time"

	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/aggkit/aggkit/pkg/aggregator/firstround"
)

// PostStartHookName is the name under which to add Manager.PostStartHook;
// it shows as /readyz/poststarthook/<name>, as kube-aggregator's does.
const PostStartHookName = "apiservice-discovery-controller"

// DefaultReadinessWait is how long PostStartHook holds readiness back for the
// first round of backend fetches.
const DefaultReadinessWait = 5 * time.Second

// PostStartHook runs the Manager with workers goroutines for the server's
// lifetime and holds the server's readiness until every Service known at
// start has been asked once, but never longer than maxWait (0 means
// DefaultReadinessWait): a dead backend must not keep the server unready
// (k/k#120739). Its group/versions are listed Stale meanwhile.
func (m *Manager) PostStartHook(workers int, maxWait time.Duration) genericapiserver.PostStartHookFunc {
	if maxWait <= 0 {
		maxWait = DefaultReadinessWait
	}
	return func(hookContext genericapiserver.PostStartHookContext) error {
		go m.Run(hookContext, workers)
		firstround.Wait(hookContext, m.Initialized(), maxWait, "unanswered group/versions stay stale in discovery")
		return nil
	}
}
