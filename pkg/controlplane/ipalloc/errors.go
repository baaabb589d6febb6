package ipalloc

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// invalid is the 422 kube-apiserver answers for a Service whose requested
// addresses cannot be allocated.
func invalid(svc *corev1.Service, errs ...*field.Error) error {
	return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, errs)
}

// ipError explains why a requested cluster IP was refused, in
// kube-apiserver's words.
func (a *ServiceAllocator) ipError(svc *corev1.Service, ip string, err error) error {
	path := field.NewPath("spec", "clusterIPs").Index(0)
	switch {
	case errors.Is(err, errNotInRange):
		return invalid(svc, field.Invalid(path, ip, fmt.Sprintf(
			"failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ip, ip, a.ips.describe)))
	case errors.Is(err, errAllocated):
		return invalid(svc, field.Invalid(path, ip, fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", ip)))
	}
	return apierrors.NewInternalError(fmt.Errorf("failed to allocate IP %s: %w", ip, err))
}

// portError explains why a requested node port was refused.
func (a *ServiceAllocator) portError(svc *corev1.Service, path *field.Path, port int32, err error) error {
	switch {
	case errors.Is(err, errNotInRange):
		return invalid(svc, field.Invalid(path, port, fmt.Sprintf(
			"provided port is not in the valid range. The range of valid ports is %s", a.ports.describe)))
	case errors.Is(err, errAllocated):
		return invalid(svc, field.Invalid(path, port, "provided port is already allocated"))
	}
	return apierrors.NewInternalError(fmt.Errorf("failed to allocate nodePort %d: %w", port, err))
}

// nextError reports a failed dynamic allocation. kube-apiserver answers 500
// "failed to allocate a serviceIP: range is full"; the same status and
// words, plus what is full and what to do about it.
func nextError(what, flag string, p *pool, err error) error {
	if errors.Is(err, errFull) {
		return apierrors.NewInternalError(fmt.Errorf("failed to allocate a %s: range is full (%s: none of its %d allocatable values is free; widen %s or delete unused Services)",
			what, p.describe, p.size(), flag))
	}
	return apierrors.NewInternalError(fmt.Errorf("failed to allocate a %s: %w", what, err))
}
