package serviceaccount

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// ServiceAccountGetter finds a ServiceAccount. A missing one must be
// reported as an apierrors NotFound error.
type ServiceAccountGetter interface {
	GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
}

// SecretGetter finds a Secret, for tokens bound to a Secret.
type SecretGetter interface {
	GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// PodGetter finds a Pod, for tokens bound to a Pod.
type PodGetter interface {
	GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
}

// ServiceAccountGetterFunc adapts a function to ServiceAccountGetter; a
// client-go lister fits as
//
//	func(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
//		return lister.ServiceAccounts(ns).Get(name)
//	}
type ServiceAccountGetterFunc func(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)

// GetServiceAccount calls f.
func (f ServiceAccountGetterFunc) GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	return f(ctx, namespace, name)
}

// SecretGetterFunc adapts a function to SecretGetter.
type SecretGetterFunc func(ctx context.Context, namespace, name string) (*corev1.Secret, error)

// GetSecret calls f.
func (f SecretGetterFunc) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return f(ctx, namespace, name)
}

// PodGetterFunc adapts a function to PodGetter.
type PodGetterFunc func(ctx context.Context, namespace, name string) (*corev1.Pod, error)

// GetPod calls f.
func (f PodGetterFunc) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	return f(ctx, namespace, name)
}

// StorageGetter reads objects straight from in-process REST storage (for
// example a genericregistry.Store), the strongly consistent source
// kube-apiserver's TokenRequest endpoint uses. Leave a field nil when that
// resource is not served.
type StorageGetter struct {
	ServiceAccounts rest.Getter
	Secrets         rest.Getter
	Pods            rest.Getter
}

var (
	_ ServiceAccountGetter = StorageGetter{}
	_ SecretGetter         = StorageGetter{}
	_ PodGetter            = StorageGetter{}
)

// GetServiceAccount reads a ServiceAccount from s.ServiceAccounts.
func (s StorageGetter) GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	return getTyped[*corev1.ServiceAccount](ctx, s.ServiceAccounts, "serviceaccounts", namespace, name)
}

// GetSecret reads a Secret from s.Secrets.
func (s StorageGetter) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return getTyped[*corev1.Secret](ctx, s.Secrets, "secrets", namespace, name)
}

// GetPod reads a Pod from s.Pods.
func (s StorageGetter) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	return getTyped[*corev1.Pod](ctx, s.Pods, "pods", namespace, name)
}

func getTyped[T any](ctx context.Context, getter rest.Getter, resource, namespace, name string) (T, error) {
	var zero T
	if getter == nil {
		return zero, fmt.Errorf("no storage configured for %s", resource)
	}
	obj, err := getter.Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return zero, err
	}
	typed, ok := obj.(T)
	if !ok {
		return zero, fmt.Errorf("%s storage returned %T", resource, obj)
	}
	return typed, nil
}
