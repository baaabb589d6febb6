package defaults

import (
	"net"
	"reflect"
	"slices"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DefaultClientIPTimeoutSeconds is the ClientIP session affinity timeout
// kube-apiserver applies (3 hours).
const DefaultClientIPTimeoutSeconds = int32(10800)

// SetDefaultsNamespace sets status.phase Active. The "kubernetes" finalizer
// is the namespace storage's to add, on create only (a default here would
// undo the deletion controller's /finalize call).
func SetDefaultsNamespace(obj *corev1.Namespace) {
	if obj.Status.Phase == "" {
		obj.Status.Phase = corev1.NamespaceActive
	}
}

// SetDefaultsService sets type ClusterIP, sessionAffinity None (ClientIP gets
// a 3h timeout), port protocol TCP and targetPort = port, syncs clusterIP with
// clusterIPs[0], and, for every type but ExternalName, internalTrafficPolicy
// Cluster, ipFamilyPolicy SingleStack and ipFamilies from the cluster IP
// ([IPv4] while none is allocated yet). NodePort and LoadBalancer services get
// externalTrafficPolicy Cluster. Cluster IPs and node ports are allocated by
// the Service storage (package ipalloc) before defaulting.
func SetDefaultsService(obj *corev1.Service) {
	spec := &obj.Spec
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	if spec.SessionAffinity == corev1.ServiceAffinityClientIP {
		if spec.SessionAffinityConfig == nil {
			spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{}
		}
		if spec.SessionAffinityConfig.ClientIP == nil {
			spec.SessionAffinityConfig.ClientIP = &corev1.ClientIPConfig{}
		}
		if spec.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil {
			spec.SessionAffinityConfig.ClientIP.TimeoutSeconds = ptrTo(DefaultClientIPTimeoutSeconds)
		}
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		// A zero targetPort means "same as port", as upstream.
		if p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == 0 ||
			p.TargetPort.Type == intstr.String && p.TargetPort.StrVal == "" {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	syncClusterIPs(spec)
	if spec.InternalTrafficPolicy == nil {
		spec.InternalTrafficPolicy = ptrTo(corev1.ServiceInternalTrafficPolicyCluster)
	}
	if (spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer) && spec.ExternalTrafficPolicy == "" {
		spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if spec.IPFamilyPolicy == nil {
		spec.IPFamilyPolicy = ptrTo(corev1.IPFamilyPolicySingleStack)
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = []corev1.IPFamily{ipFamilyOf(spec.ClusterIP)}
	}
}

// syncClusterIPs makes clusterIP and clusterIPs[0] agree when a client set
// only one of them, as kube-apiserver's service strategy does.
func syncClusterIPs(spec *corev1.ServiceSpec) {
	switch {
	case spec.ClusterIP != "" && len(spec.ClusterIPs) == 0:
		spec.ClusterIPs = []string{spec.ClusterIP}
	case spec.ClusterIP == "" && len(spec.ClusterIPs) > 0:
		spec.ClusterIP = spec.ClusterIPs[0]
	}
}

// ipFamilyOf is IPv6 for an IPv6 address and IPv4 otherwise (including "",
// "None" and garbage, which validation reports).
func ipFamilyOf(ip string) corev1.IPFamily {
	if parsed := net.ParseIP(ip); parsed != nil && parsed.To4() == nil {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}

// PreserveServiceAllocations copies allocated values (cluster IPs, node
// ports, health check node port) from old when an update omits them, so
// `kubectl replace` or apply of a manifest without clusterIP keeps the
// service's addresses. kube-apiserver does this in its service registry; call
// it from the update strategy before validation. Values are kept only while
// the service still needs them (not across a switch to ExternalName).
func PreserveServiceAllocations(obj, old *corev1.Service) {
	spec, oldSpec := &obj.Spec, &old.Spec
	if spec.Type != corev1.ServiceTypeExternalName && oldSpec.Type != corev1.ServiceTypeExternalName {
		if spec.ClusterIP == "" && len(spec.ClusterIPs) == 0 {
			spec.ClusterIP = oldSpec.ClusterIP
			spec.ClusterIPs = append([]string(nil), oldSpec.ClusterIPs...)
		}
		if len(spec.IPFamilies) == 0 {
			spec.IPFamilies = append([]corev1.IPFamily(nil), oldSpec.IPFamilies...)
		}
		if spec.IPFamilyPolicy == nil && oldSpec.IPFamilyPolicy != nil {
			spec.IPFamilyPolicy = ptrTo(*oldSpec.IPFamilyPolicy)
		}
	}
	if spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer {
		for i := range spec.Ports {
			p := &spec.Ports[i]
			if p.NodePort != 0 {
				continue
			}
			for _, op := range oldSpec.Ports {
				if op.Port == p.Port && op.Protocol == p.Protocol {
					p.NodePort = op.NodePort
					break
				}
			}
		}
		if spec.HealthCheckNodePort == 0 && spec.ExternalTrafficPolicy == oldSpec.ExternalTrafficPolicy {
			spec.HealthCheckNodePort = oldSpec.HealthCheckNodePort
		}
	}
}

// DropServiceTypeDependentFields clears, on update, the values the stored
// Service held for its old type that the new type may not have, when the
// client left them unchanged, as kube-apiserver's service strategy does: a
// patch of spec.type alone then works (to ExternalName drops the cluster
// IPs and IP families; to ClusterIP drops node ports and the external
// traffic policy; away from LoadBalancer drops its fields; leaving
// LoadBalancer with externalTrafficPolicy Local drops the health check node
// port). Call it before
// PreserveServiceAllocations.
func DropServiceTypeDependentFields(obj, old *corev1.Service) {
	spec, oldSpec := &obj.Spec, &old.Spec
	if spec.Type == corev1.ServiceTypeExternalName && oldSpec.Type != corev1.ServiceTypeExternalName {
		if spec.ClusterIP == oldSpec.ClusterIP && slices.Equal(spec.ClusterIPs, oldSpec.ClusterIPs) {
			spec.ClusterIP, spec.ClusterIPs = "", nil
		}
		if slices.Equal(spec.IPFamilies, oldSpec.IPFamilies) {
			spec.IPFamilies = nil
		}
		if reflect.DeepEqual(spec.IPFamilyPolicy, oldSpec.IPFamilyPolicy) {
			spec.IPFamilyPolicy = nil
		}
		if reflect.DeepEqual(spec.InternalTrafficPolicy, oldSpec.InternalTrafficPolicy) {
			spec.InternalTrafficPolicy = nil
		}
	}
	exposed := func(t corev1.ServiceType) bool {
		return t == corev1.ServiceTypeNodePort || t == corev1.ServiceTypeLoadBalancer
	}
	if !exposed(spec.Type) && exposed(oldSpec.Type) {
		if sameNodePorts(spec.Ports, oldSpec.Ports) {
			for i := range spec.Ports {
				spec.Ports[i].NodePort = 0
			}
		}
		if spec.ExternalTrafficPolicy == oldSpec.ExternalTrafficPolicy {
			spec.ExternalTrafficPolicy = ""
		}
	}
	needsHealthCheck := spec.Type == corev1.ServiceTypeLoadBalancer && spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
	if !needsHealthCheck && spec.HealthCheckNodePort == oldSpec.HealthCheckNodePort {
		spec.HealthCheckNodePort = 0
	}
	if spec.Type != corev1.ServiceTypeLoadBalancer && oldSpec.Type == corev1.ServiceTypeLoadBalancer {
		if reflect.DeepEqual(spec.AllocateLoadBalancerNodePorts, oldSpec.AllocateLoadBalancerNodePorts) {
			spec.AllocateLoadBalancerNodePorts = nil
		}
		if reflect.DeepEqual(spec.LoadBalancerClass, oldSpec.LoadBalancerClass) {
			spec.LoadBalancerClass = nil
		}
	}
}

// sameNodePorts is whether every port keeps the node port the stored port
// at its place had.
func sameNodePorts(ports, old []corev1.ServicePort) bool {
	for i, p := range ports {
		if p.NodePort == 0 {
			continue
		}
		if i >= len(old) || old[i].NodePort != p.NodePort {
			return false
		}
	}
	return true
}

// SetDefaultsEndpoints sets port protocol TCP.
func SetDefaultsEndpoints(obj *corev1.Endpoints) {
	for i := range obj.Subsets {
		for j := range obj.Subsets[i].Ports {
			if obj.Subsets[i].Ports[j].Protocol == "" {
				obj.Subsets[i].Ports[j].Protocol = corev1.ProtocolTCP
			}
		}
	}
}

// SetDefaultsEndpointSlice sets port protocol TCP and an empty port name, as
// upstream.
func SetDefaultsEndpointSlice(obj *discoveryv1.EndpointSlice) {
	for i := range obj.Ports {
		p := &obj.Ports[i]
		if p.Protocol == nil {
			p.Protocol = ptrTo(corev1.ProtocolTCP)
		}
		if p.Name == nil {
			p.Name = ptrTo("")
		}
	}
}

// SetDefaultsConfigMap has nothing to default; it exists so every kind has one.
func SetDefaultsConfigMap(obj *corev1.ConfigMap) {}

// SetDefaultsSecret sets type Opaque and folds stringData into data (stringData
// wins), which kube-apiserver does while converting from v1. stringData is
// write-only: it is never stored or returned.
func SetDefaultsSecret(obj *corev1.Secret) {
	if obj.Type == "" {
		obj.Type = corev1.SecretTypeOpaque
	}
	if len(obj.StringData) > 0 {
		if obj.Data == nil {
			obj.Data = make(map[string][]byte, len(obj.StringData))
		}
		for k, v := range obj.StringData {
			obj.Data[k] = []byte(v)
		}
	}
	obj.StringData = nil
}

// SetDefaultsServiceAccount has nothing to default.
func SetDefaultsServiceAccount(obj *corev1.ServiceAccount) {}

// SetDefaultsEvent has nothing to default.
func SetDefaultsEvent(obj *corev1.Event) {}

// SetDefaultsLease has nothing to default.
func SetDefaultsLease(obj *coordinationv1.Lease) {}
