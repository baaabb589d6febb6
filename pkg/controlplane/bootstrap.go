package controlplane

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"
)

// retryUntilReady runs a bootstrap step until it succeeds: right after
// start the server may still refuse requests for a moment.
func retryUntilReady(ctx context.Context, name string, step func(context.Context) error) error {
	return wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := step(ctx); err != nil {
			klog.V(2).InfoS("Bootstrap step not done yet", "step", name, "err", err)
			return false, nil
		}
		return true, nil
	})
}

// ensureNamespaces creates the namespaces every Kubernetes has.
func (s *Server) ensureNamespaces(ctx context.Context) error {
	for _, name := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease} {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := s.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}
