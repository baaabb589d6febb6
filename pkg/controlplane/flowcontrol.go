package controlplane

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	utilflowcontrol "k8s.io/apiserver/pkg/util/flowcontrol"
	"k8s.io/klog/v2"
)

// flowControlBootstrapHook is kube-apiserver's name for the same job.
const flowControlBootstrapHook = "priority-and-fairness-config-producer"

// flowControl is the one priority-and-fairness instance of the server,
// shared by the built-in and the proxy filter chains (handlerChain), over
// the stored FlowSchemas and PriorityLevelConfigurations. As in
// kube-apiserver, the two in-flight flags together are its concurrency
// limit. The generic server runs it and serves its debug endpoints.
func (s *Server) flowControl() utilflowcontrol.Interface {
	return utilflowcontrol.New(s.Informers, s.Client.FlowcontrolV1(), s.opts.MaxRequestsInFlight+s.opts.MaxMutatingRequestsInFlight)
}

// keepFlowControlBootstrap creates the bootstrap FlowSchemas and
// PriorityLevelConfigurations before the server is ready, then keeps them
// every minute (see ensureFlowControlBootstrap). As in kube-apiserver it
// runs whether or not priority and fairness is enabled, so turning it on
// later finds them in place.
func (s *Server) keepFlowControlBootstrap(ctx genericapiserver.PostStartHookContext) error {
	fc := s.Client.FlowcontrolV1()
	if err := retryUntilReady(ctx, flowControlBootstrapHook, func(ctx context.Context) error {
		return ensureFlowControlBootstrap(ctx, fc)
	}); err != nil {
		return err
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := ensureFlowControlBootstrap(ctx, fc); err != nil {
			klog.ErrorS(err, "Keeping the bootstrap flow-control configuration; will retry")
		}
	}, time.Minute)
	return nil
}
