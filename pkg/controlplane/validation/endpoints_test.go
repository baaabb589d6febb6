package validation

import (
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validEndpoints() *corev1.Endpoints {
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Subsets: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{{IP: "10.1.2.3", Hostname: "web-0", NodeName: ptr("node-1")}},
			NotReadyAddresses: []corev1.EndpointAddress{{IP: "fd00::3"}},
			Ports: []corev1.EndpointPort{
				{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP},
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
			},
		}},
	}
}

func TestValidateEndpoints(t *testing.T) {
	runCases(t, validEndpoints, ValidateEndpoints, []caseOf[*corev1.Endpoints]{
		{name: "valid"},
		{name: "loopback allowed for local runs", mutate: func(e *corev1.Endpoints) {
			e.Subsets[0].Addresses[0].IP = "127.0.0.1"
			e.Subsets[0].NotReadyAddresses[0].IP = "::1"
		}},
		{name: "subset without addresses", mutate: func(e *corev1.Endpoints) {
			e.Subsets[0].Addresses, e.Subsets[0].NotReadyAddresses = nil, nil
		}, want: []wantErr{req("subsets[0]")}},
		{name: "not an IP", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Addresses[0].IP = "web.local" },
			want: []wantErr{inv("subsets[0].addresses[0].ip")}},
		{name: "link-local and unspecified", mutate: func(e *corev1.Endpoints) {
			e.Subsets[0].Addresses[0].IP = "169.254.1.1"
			e.Subsets[0].NotReadyAddresses[0].IP = "::"
		}, want: []wantErr{inv("subsets[0].addresses[0].ip"), inv("subsets[0].notReadyAddresses[0].ip")}},
		{name: "bad hostname and node name", mutate: func(e *corev1.Endpoints) {
			e.Subsets[0].Addresses[0].Hostname = "a.b"
			e.Subsets[0].Addresses[0].NodeName = ptr("Node_1")
		}, want: []wantErr{inv("subsets[0].addresses[0].hostname"), inv("subsets[0].addresses[0].nodeName")}},
		{name: "port name required with several ports", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Ports[0].Name = "" },
			want: []wantErr{req("subsets[0].ports[0].name")}},
		{name: "duplicate port name", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Ports[1].Name = "http" },
			want: []wantErr{dup("subsets[0].ports[1].name")}},
		{name: "bad port and protocol", mutate: func(e *corev1.Endpoints) {
			e.Subsets[0].Ports[0].Port = 0
			e.Subsets[0].Ports[1].Protocol = ""
		}, want: []wantErr{inv("subsets[0].ports[0].port"), req("subsets[0].ports[1].protocol")}},
	})
	runUpdateCases(t, validEndpoints, ValidateEndpointsUpdate, []caseOf[*corev1.Endpoints]{
		{name: "addresses may change", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Addresses[0].IP = "10.9.9.9" }},
		{name: "new addresses are checked", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Addresses[0].IP = "x" },
			want: []wantErr{inv("subsets[0].addresses[0].ip")}},
	})
}

func validEndpointSlice() *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-abc12", Namespace: "default"},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses: []string{"10.1.2.3"},
			Hostname:  ptr("web-0"),
			NodeName:  ptr("node-1"),
		}},
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)},
			{Name: ptr(""), Protocol: ptr(corev1.ProtocolUDP)},
		},
	}
}

func TestValidateEndpointSlice(t *testing.T) {
	runCases(t, validEndpointSlice, ValidateEndpointSlice, []caseOf[*discoveryv1.EndpointSlice]{
		{name: "valid"},
		{name: "loopback allowed for local runs", mutate: func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses[0] = "127.0.0.1" }},
		{name: "IPv6 slice", mutate: func(s *discoveryv1.EndpointSlice) {
			s.AddressType = discoveryv1.AddressTypeIPv6
			s.Endpoints[0].Addresses = []string{"::1", "fd00::1"}
		}},
		{name: "FQDN slice", mutate: func(s *discoveryv1.EndpointSlice) {
			s.AddressType = discoveryv1.AddressTypeFQDN
			s.Endpoints[0].Addresses = []string{"db.example.com"}
		}},
		{name: "addressType required", mutate: func(s *discoveryv1.EndpointSlice) { s.AddressType = "" },
			want: []wantErr{req("addressType")}},
		{name: "unknown addressType", mutate: func(s *discoveryv1.EndpointSlice) { s.AddressType = "MAC" },
			want: []wantErr{unsupported("addressType")}},
		{name: "endpoint without address", mutate: func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = nil },
			want: []wantErr{req("endpoints[0].addresses")}},
		{name: "IPv6 address in IPv4 slice", mutate: func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses[0] = "fd00::1" },
			want: []wantErr{inv("endpoints[0].addresses[0]")}},
		{name: "unspecified address", mutate: func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses[0] = "0.0.0.0" },
			want: []wantErr{inv("endpoints[0].addresses[0]")}},
		{name: "bad FQDN", mutate: func(s *discoveryv1.EndpointSlice) {
			s.AddressType = discoveryv1.AddressTypeFQDN
			s.Endpoints[0].Addresses = []string{"no_dots"}
		}, want: []wantErr{inv("endpoints[0].addresses[0]")}},
		{name: "bad hostname and node name", mutate: func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[0].Hostname = ptr("A.B")
			s.Endpoints[0].NodeName = ptr("Node_1")
		}, want: []wantErr{inv("endpoints[0].hostname"), inv("endpoints[0].nodeName")}},
		{name: "duplicate port name", mutate: func(s *discoveryv1.EndpointSlice) { s.Ports[1].Name = ptr("http") },
			want: []wantErr{dup("ports[1].name")}},
		{name: "port protocol required", mutate: func(s *discoveryv1.EndpointSlice) { s.Ports[0].Protocol = nil },
			want: []wantErr{req("ports[0].protocol")}},
		{name: "port out of range", mutate: func(s *discoveryv1.EndpointSlice) { s.Ports[0].Port = ptr(int32(-1)) },
			want: []wantErr{inv("ports[0].port")}},
		{name: "too many addresses", mutate: func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[0].Addresses = strings.Split(strings.Repeat("10.0.0.1,", maxEndpointAddresses+1), ",")[:maxEndpointAddresses+1]
		}, want: []wantErr{{"FieldValueTooMany", "endpoints[0].addresses"}}},
	})
	runUpdateCases(t, validEndpointSlice, ValidateEndpointSliceUpdate, []caseOf[*discoveryv1.EndpointSlice]{
		{name: "endpoints may change", mutate: func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses[0] = "10.0.0.9" }},
		{name: "addressType immutable", mutate: func(s *discoveryv1.EndpointSlice) {
			s.AddressType = discoveryv1.AddressTypeFQDN
			s.Endpoints[0].Addresses[0] = "web.example.com"
		}, want: []wantErr{inv("addressType")}},
	})
}

func validLease() *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "controller", Namespace: "kube-system"},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr("node-1"),
			LeaseDurationSeconds: ptr(int32(15)),
			LeaseTransitions:     ptr(int32(0)),
		},
	}
}

func TestValidateLease(t *testing.T) {
	runCases(t, validLease, ValidateLease, []caseOf[*coordinationv1.Lease]{
		{name: "valid"},
		{name: "zero duration", mutate: func(l *coordinationv1.Lease) { l.Spec.LeaseDurationSeconds = ptr(int32(0)) },
			want: []wantErr{inv("spec.leaseDurationSeconds")}},
		{name: "negative transitions", mutate: func(l *coordinationv1.Lease) { l.Spec.LeaseTransitions = ptr(int32(-1)) },
			want: []wantErr{inv("spec.leaseTransitions")}},
		{name: "unknown strategy", mutate: func(l *coordinationv1.Lease) {
			l.Spec.Strategy = ptr(coordinationv1.CoordinatedLeaseStrategy("Newest"))
		}, want: []wantErr{unsupported("spec.strategy")}},
		{name: "preferredHolder needs a strategy", mutate: func(l *coordinationv1.Lease) { l.Spec.PreferredHolder = ptr("node-2") },
			want: []wantErr{forbidden("spec.preferredHolder")}},
	})
	runUpdateCases(t, validLease, ValidateLeaseUpdate, []caseOf[*coordinationv1.Lease]{
		{name: "renew", mutate: func(l *coordinationv1.Lease) { l.Spec.RenewTime = &metav1.MicroTime{Time: time.Unix(10, 0)} }},
		{name: "bad renew", mutate: func(l *coordinationv1.Lease) { l.Spec.LeaseDurationSeconds = ptr(int32(-5)) },
			want: []wantErr{inv("spec.leaseDurationSeconds")}},
	})
}

func validEvent() *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web.17a", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web"},
		Reason:         "Started",
		Message:        "started",
		Count:          1,
	}
}

func TestValidateEvent(t *testing.T) {
	newStyle := func(e *corev1.Event) {
		e.EventTime = metav1.MicroTime{Time: time.Unix(100, 0)}
		e.ReportingController, e.ReportingInstance, e.Action = "example.com/ctl", "ctl-1", "Start"
	}
	runCases(t, validEvent, ValidateEvent, []caseOf[*corev1.Event]{
		{name: "valid legacy event"},
		{name: "valid new-style event", mutate: newStyle},
		{name: "cluster-scoped object in default namespace", mutate: func(e *corev1.Event) { e.InvolvedObject.Namespace = "" }},
		{name: "cluster-scoped object elsewhere", mutate: func(e *corev1.Event) {
			e.InvolvedObject.Namespace, e.Namespace = "", "kube-system"
		}, want: []wantErr{inv("involvedObject.namespace")}},
		{name: "namespace mismatch", mutate: func(e *corev1.Event) { e.InvolvedObject.Namespace = "other" },
			want: []wantErr{inv("involvedObject.namespace")}},
		{name: "new-style event needs reporting fields", mutate: func(e *corev1.Event) {
			e.EventTime = metav1.MicroTime{Time: time.Unix(100, 0)}
			e.Reason = ""
		}, want: []wantErr{req("reportingComponent"), req("reportingInstance"), req("action"), req("reason")}},
		{name: "new-style message too long", mutate: func(e *corev1.Event) {
			newStyle(e)
			e.Message = strings.Repeat("m", eventNoteLimit+1)
		}, want: []wantErr{inv("message")}},
	})
	runUpdateCases(t, validEvent, ValidateEventUpdate, []caseOf[*corev1.Event]{
		{name: "count may change", mutate: func(e *corev1.Event) { e.Count = 2 }},
		{name: "name immutable", mutate: func(e *corev1.Event) { e.Name = "other" },
			want: []wantErr{inv("metadata.name")}},
	})
}
