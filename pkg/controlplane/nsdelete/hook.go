package nsdelete

import (
	"fmt"
	"time"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// HookName is the name to register PostStartHook under.
const HookName = "start-namespace-deletion-controller"

// namespaceResync re-offers every namespace to the controller now and then,
// as Kubernetes' namespace controller does, so a namespace whose retries were
// lost (say, across a watch gap) is still picked up.
const namespaceResync = 5 * time.Minute

// PostStartHook returns a post-start hook that runs the controller with the
// given number of workers on clients built from the server's loopback config.
// The hook returns at once; the controller stops with the server. Register it
// with server.AddPostStartHookOrDie(HookName, PostStartHook(5)).
func PostStartHook(workers int) genericapiserver.PostStartHookFunc {
	return func(hookCtx genericapiserver.PostStartHookContext) error {
		config := rest.CopyConfig(hookCtx.LoopbackClientConfig)
		config.UserAgent = rest.DefaultKubernetesUserAgent() + "/" + HookName
		client, err := kubernetes.NewForConfig(config)
		if err != nil {
			return fmt.Errorf("namespace deletion: kubernetes client: %w", err)
		}
		md, err := metadata.NewForConfig(config)
		if err != nil {
			return fmt.Errorf("namespace deletion: metadata client: %w", err)
		}
		disc, err := discovery.NewDiscoveryClientForConfig(config)
		if err != nil {
			return fmt.Errorf("namespace deletion: discovery client: %w", err)
		}
		factory := informers.NewSharedInformerFactory(client, namespaceResync)
		controller := New(client, md, disc, factory.Core().V1().Namespaces())
		factory.Start(hookCtx.Done())
		go controller.Run(hookCtx, workers)
		return nil
	}
}
