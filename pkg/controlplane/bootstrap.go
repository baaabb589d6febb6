package controlplane

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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

// ensureKubernetesService publishes default/kubernetes, the Service (with
// Endpoints at this server) through which in-cluster clients find the API,
// as kube-apiserver does.
func (s *Server) ensureKubernetesService(ctx context.Context) error {
	host, portText, err := net.SplitHostPort(strings.TrimPrefix(s.URL, "https://"))
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return err
	}
	meta := metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
		Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}}
	svc := &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(int32(port)), Protocol: corev1.ProtocolTCP}},
	}}
	if _, err := s.Client.CoreV1().Services(meta.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	ep := &corev1.Endpoints{ObjectMeta: meta, Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: host}},
		Ports:     []corev1.EndpointPort{{Name: "https", Port: int32(port), Protocol: corev1.ProtocolTCP}},
	}}}
	current, err := s.Client.CoreV1().Endpoints(meta.Namespace).Get(ctx, meta.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = s.Client.CoreV1().Endpoints(meta.Namespace).Create(ctx, ep, metav1.CreateOptions{})
		return err
	}
	if err != nil || equality.Semantic.DeepEqual(current.Subsets, ep.Subsets) {
		return err
	}
	current.Subsets = ep.Subsets
	_, err = s.Client.CoreV1().Endpoints(meta.Namespace).Update(ctx, current, metav1.UpdateOptions{})
	return err
}
