package ipalloc

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// serviceType is the Service's type, ClusterIP when not defaulted yet.
func serviceType(svc *corev1.Service) corev1.ServiceType {
	if svc.Spec.Type == "" {
		return corev1.ServiceTypeClusterIP
	}
	return svc.Spec.Type
}

func exposesNodePorts(svc *corev1.Service) bool {
	t := serviceType(svc)
	return t == corev1.ServiceTypeNodePort || t == corev1.ServiceTypeLoadBalancer
}

// allocatesNodePorts is whether ports without a nodePort get one:
// LoadBalancers may opt out with allocateLoadBalancerNodePorts=false.
func allocatesNodePorts(svc *corev1.Service) bool {
	switch serviceType(svc) {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

// needsHealthCheckNodePort follows kube-apiserver: only LoadBalancers that
// keep traffic on the local node get one.
func needsHealthCheckNodePort(svc *corev1.Service) bool {
	return serviceType(svc) == corev1.ServiceTypeLoadBalancer &&
		svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

// clusterIPs reads clusterIPs, or clusterIP when only that is set.
func clusterIPs(svc *corev1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	if svc.Spec.ClusterIP != "" {
		return []string{svc.Spec.ClusterIP}
	}
	return nil
}

// usedIPs are the cluster IPs a stored Service holds.
func usedIPs(svc *corev1.Service) map[string]bool {
	used := map[string]bool{}
	if serviceType(svc) == corev1.ServiceTypeExternalName {
		return used
	}
	for _, ip := range clusterIPs(svc) {
		if ip != "" && ip != corev1.ClusterIPNone {
			used[ip] = true
		}
	}
	return used
}

// usedNodePorts are the node ports (health check included) a stored
// Service holds.
func usedNodePorts(svc *corev1.Service) map[string]bool {
	used := map[string]bool{}
	if !exposesNodePorts(svc) {
		return used
	}
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			used[strconv.Itoa(int(p.NodePort))] = true
		}
	}
	if svc.Spec.HealthCheckNodePort != 0 {
		used[strconv.Itoa(int(svc.Spec.HealthCheckNodePort))] = true
	}
	return used
}

// needsClusterIP is whether a Service of this shape should hold an IP but
// does not: what repair gives Services stored before allocation existed.
func needsClusterIP(svc *corev1.Service) bool {
	return serviceType(svc) != corev1.ServiceTypeExternalName && len(clusterIPs(svc)) == 0
}
