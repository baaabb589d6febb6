package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// validService is what a defaulted ClusterIP service with an allocated IP
// looks like.
func validService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Type:            corev1.ServiceTypeClusterIP,
			Selector:        map[string]string{"app": "web"},
			ClusterIP:       "10.0.0.10",
			ClusterIPs:      []string{"10.0.0.10"},
			IPFamilies:      []corev1.IPFamily{corev1.IPv4Protocol},
			IPFamilyPolicy:  ptr(corev1.IPFamilyPolicySingleStack),
			SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)},
				{Name: "metrics", Port: 9090, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("metrics")},
			},
			InternalTrafficPolicy: ptr(corev1.ServiceInternalTrafficPolicyCluster),
		},
	}
}

func TestValidateService(t *testing.T) {
	runCases(t, validService, ValidateService, []caseOf[*corev1.Service]{
		{name: "valid"},
		{name: "name must be a DNS-1035 label", mutate: func(s *corev1.Service) { s.Name = "1web" },
			want: []wantErr{inv("metadata.name")}},
		{name: "type required", mutate: func(s *corev1.Service) { s.Spec.Type = "" },
			want: []wantErr{req("spec.type")}},
		{name: "unknown type", mutate: func(s *corev1.Service) { s.Spec.Type = "Magic" },
			want: []wantErr{unsupported("spec.type")}},
		{name: "ports required", mutate: func(s *corev1.Service) { s.Spec.Ports = nil },
			want: []wantErr{req("spec.ports")}},
		{name: "headless needs no ports", mutate: func(s *corev1.Service) {
			s.Spec.Ports, s.Spec.ClusterIP, s.Spec.ClusterIPs = nil, "None", []string{"None"}
		}},
		{name: "port name required with several ports", mutate: func(s *corev1.Service) { s.Spec.Ports[1].Name = "" },
			want: []wantErr{req("spec.ports[1].name")}},
		{name: "single port may be unnamed", mutate: func(s *corev1.Service) {
			s.Spec.Ports = s.Spec.Ports[:1]
			s.Spec.Ports[0].Name = ""
		}},
		{name: "duplicate port name", mutate: func(s *corev1.Service) { s.Spec.Ports[1].Name = "http" },
			want: []wantErr{dup("spec.ports[1].name")}},
		{name: "bad port name", mutate: func(s *corev1.Service) { s.Spec.Ports[0].Name = "HTTP" },
			want: []wantErr{inv("spec.ports[0].name")}},
		{name: "port out of range", mutate: func(s *corev1.Service) { s.Spec.Ports[0].Port = 70000 },
			want: []wantErr{inv("spec.ports[0].port")}},
		{name: "protocol required", mutate: func(s *corev1.Service) { s.Spec.Ports[0].Protocol = "" },
			want: []wantErr{req("spec.ports[0].protocol")}},
		{name: "unknown protocol", mutate: func(s *corev1.Service) { s.Spec.Ports[0].Protocol = "ICMP" },
			want: []wantErr{unsupported("spec.ports[0].protocol")}},
		{name: "zero targetPort", mutate: func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromInt32(0) },
			want: []wantErr{inv("spec.ports[0].targetPort")}},
		{name: "bad named targetPort", mutate: func(s *corev1.Service) { s.Spec.Ports[1].TargetPort = intstr.FromString("no_underscores") },
			want: []wantErr{inv("spec.ports[1].targetPort")}},
		{name: "duplicate port and protocol", mutate: func(s *corev1.Service) { s.Spec.Ports[1].Port = 80 },
			want: []wantErr{dup("spec.ports[1]")}},
		{name: "same port on another protocol", mutate: func(s *corev1.Service) {
			s.Spec.Ports[1].Port, s.Spec.Ports[1].Protocol = 80, corev1.ProtocolUDP
		}},
		{name: "nodePort on ClusterIP", mutate: func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30080 },
			want: []wantErr{forbidden("spec.ports[0].nodePort")}},
		{name: "NodePort service", mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
			s.Spec.Ports[0].NodePort = 30080
		}},
		{name: "NodePort needs externalTrafficPolicy", mutate: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort },
			want: []wantErr{req("spec.externalTrafficPolicy")}},
		{name: "externalTrafficPolicy on ClusterIP", mutate: func(s *corev1.Service) {
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}, want: []wantErr{inv("spec.externalTrafficPolicy")}},
		{name: "bad internalTrafficPolicy", mutate: func(s *corev1.Service) {
			s.Spec.InternalTrafficPolicy = ptr(corev1.ServiceInternalTrafficPolicy("Nearby"))
		}, want: []wantErr{unsupported("spec.internalTrafficPolicy")}},
		{name: "invalid selector label", mutate: func(s *corev1.Service) { s.Spec.Selector["app"] = "bad value" },
			want: []wantErr{inv("spec.selector")}},
		{name: "sessionAffinity required", mutate: func(s *corev1.Service) { s.Spec.SessionAffinity = "" },
			want: []wantErr{req("spec.sessionAffinity")}},
		{name: "ClientIP affinity needs timeout", mutate: func(s *corev1.Service) {
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		}, want: []wantErr{req("spec.sessionAffinityConfig.clientIP.timeoutSeconds")}},
		{name: "ClientIP timeout too long", mutate: func(s *corev1.Service) {
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr(int32(90000))}}
		}, want: []wantErr{inv("spec.sessionAffinityConfig.clientIP.timeoutSeconds")}},
		{name: "clusterIP mismatch", mutate: func(s *corev1.Service) { s.Spec.ClusterIP = "10.0.0.11" },
			want: []wantErr{inv("spec.clusterIPs[0]")}},
		{name: "clusterIP not an IP", mutate: func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.0.0", []string{"10.0.0"}
		}, want: []wantErr{inv("spec.clusterIPs[0]")}},
		{name: "None with another IP", mutate: func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "None", []string{"None", "10.0.0.1"}
		}, want: []wantErr{inv("spec.clusterIPs")}},
		{name: "clusterIP family differs from ipFamilies", mutate: func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "fd00::10", []string{"fd00::10"}
		}, want: []wantErr{inv("spec.clusterIPs[0]")}},
		{name: "unknown ipFamily and policy", mutate: func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{"IPv5"}
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicy("Whatever"))
		}, want: []wantErr{unsupported("spec.ipFamilies[0]"), unsupported("spec.ipFamilyPolicy")}},
		{name: "two families on SingleStack", mutate: func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
		}, want: []wantErr{inv("spec.ipFamilies")}},
		{name: "external IP loopback allowed", mutate: func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"127.0.0.1"} }},
		{name: "external IP unspecified", mutate: func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"0.0.0.0"} },
			want: []wantErr{inv("spec.externalIPs[0]")}},
		{name: "source ranges only for LoadBalancer", mutate: func(s *corev1.Service) {
			s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
		}, want: []wantErr{forbidden("spec.loadBalancerSourceRanges")}},
		{name: "ExternalName service", mutate: func(s *corev1.Service) {
			s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com.", SessionAffinity: corev1.ServiceAffinityNone}
		}},
		{name: "ExternalName needs a name and no cluster fields", mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.InternalTrafficPolicy = nil
		}, want: []wantErr{req("spec.externalName"), forbidden("spec.clusterIPs"), forbidden("spec.ipFamilies"), forbidden("spec.ipFamilyPolicy")}},
	})
}

func TestValidateServiceUpdate(t *testing.T) {
	runUpdateCases(t, validService, ValidateServiceUpdate, []caseOf[*corev1.Service]{
		{name: "ports may change", mutate: func(s *corev1.Service) { s.Spec.Ports[0].Port = 81 }},
		{name: "clusterIP immutable", mutate: func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.0.0.99", []string{"10.0.0.99"}
		}, want: []wantErr{inv("spec.clusterIPs[0]")}},
		{name: "clusterIP cannot be unset", mutate: func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "", nil
		}, want: []wantErr{inv("spec.clusterIPs[0]")}},
		{name: "primary family immutable", mutate: func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.0.0.10", []string{"10.0.0.10"}
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
		}, want: []wantErr{inv("spec.ipFamilies[0]"), inv("spec.clusterIPs[0]")}},
		{name: "switch to ExternalName releases the IP", mutate: func(s *corev1.Service) {
			s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com", SessionAffinity: corev1.ServiceAffinityNone}
		}},
	})
}
