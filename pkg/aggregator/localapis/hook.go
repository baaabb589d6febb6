package localapis

import (
	"context"
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
)

// PostStartHookName is the name under which the server should add
// PostStartHook; it shows as /readyz/poststarthook/<name>.
const PostStartHookName = "aggkit-local-apiservice-registration"

// retryBackoff paces Ensure retries while etcd or the server's own handler is
// not ready yet: quick at first, then every 10s.
var retryBackoff = wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: math.MaxInt32, Cap: 10 * time.Second}

// PostStartHook returns a post-start hook that runs Ensure for gvs over the
// server's loopback client and retries until it succeeds. Until then the
// hook's readiness check fails, as kube-apiserver's autoregister-completion
// check does. Pass the group/versions once every group is installed, e.g.
// GroupVersionsFromPaths(server.ListedPaths()).
func PostStartHook(gvs []schema.GroupVersion) genericapiserver.PostStartHookFunc {
	return func(hookContext genericapiserver.PostStartHookContext) error {
		client, err := aggregatorclient.NewForConfig(hookContext.LoopbackClientConfig)
		if err != nil {
			return fmt.Errorf("local APIService registration: loopback client: %w", err)
		}
		return ensureUntilDone(hookContext, client, gvs)
	}
}

// ensureUntilDone retries Ensure until it succeeds or ctx ends. A server
// stopping before registration finished is not a hook failure: the next
// start registers again.
func ensureUntilDone(ctx context.Context, client aggregatorclient.Interface, gvs []schema.GroupVersion) error {
	err := wait.ExponentialBackoffWithContext(ctx, retryBackoff, func(ctx context.Context) (bool, error) {
		if err := Ensure(ctx, client, gvs); err != nil {
			klog.ErrorS(err, "Registering local APIServices failed; retrying")
			return false, nil
		}
		return true, nil
	})
	if err != nil && ctx.Err() != nil {
		klog.InfoS("Server stopping before local APIServices were registered", "reason", context.Cause(ctx))
		return nil
	}
	return err
}
