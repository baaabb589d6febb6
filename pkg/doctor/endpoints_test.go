package doctor

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestEndpointsFound reads endpoints as the aggregator's endpoint routing
// does: by the Service port's name, ready addresses only, at the endpoint
// port.
func TestEndpointsFound(t *testing.T) {
	sp := corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}
	slice := func(portName string, port *int32, endpoints ...discoveryv1.Endpoint) discoveryv1.EndpointSlice {
		return discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Name: ptr.To(portName), Port: port}}, Endpoints: endpoints}
	}
	endpoint := func(ip string, ready *bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ready}}
	}
	for _, tc := range []struct {
		name                  string
		found                 endpointsFound
		ready, notReady, port []string
	}{
		{name: "slices: ready, unknown and not ready",
			found: sliceEndpoints([]discoveryv1.EndpointSlice{slice("https", ptr.To[int32](9443),
				endpoint("10.0.0.2", ptr.To(true)), endpoint("10.0.0.1", nil), endpoint("10.0.0.3", ptr.To(false)))}, sp),
			ready: []string{"10.0.0.1:9443", "10.0.0.2:9443"}, notReady: []string{"10.0.0.3:9443"}},
		{name: "slices: port without number falls back to the numeric targetPort",
			found: sliceEndpoints([]discoveryv1.EndpointSlice{slice("https", nil, endpoint("10.0.0.1", nil))}, sp),
			ready: []string{"10.0.0.1:8443"}},
		{name: "slices: port named otherwise",
			found: sliceEndpoints([]discoveryv1.EndpointSlice{slice("web", ptr.To[int32](9443), endpoint("10.0.0.1", nil))}, sp),
			port:  []string{`"web"`}},
		{name: "endpoints: ready and not ready",
			found: legacyEndpoints(&corev1.Endpoints{Subsets: []corev1.EndpointSubset{{
				Addresses: []corev1.EndpointAddress{{IP: "127.0.0.1"}}, NotReadyAddresses: []corev1.EndpointAddress{{IP: "127.0.0.2"}},
				Ports: []corev1.EndpointPort{{Name: "https", Port: 9443}}}}}, sp),
			ready: []string{"127.0.0.1:9443"}, notReady: []string{"127.0.0.2:9443"}},
		{name: "endpoints: unnamed port when the Service port is named",
			found: legacyEndpoints(&corev1.Endpoints{Subsets: []corev1.EndpointSubset{{
				Addresses: []corev1.EndpointAddress{{IP: "127.0.0.1"}}, Ports: []corev1.EndpointPort{{Port: 9443}}}}}, sp),
			port: []string{`""`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Equal(tc.found.ready, tc.ready) || !slices.Equal(tc.found.notReady, tc.notReady) ||
				!slices.Equal(tc.found.otherPortNames, tc.port) {
				t.Errorf("got ready %v, not ready %v, other ports %v; want %v, %v, %v",
					tc.found.ready, tc.found.notReady, tc.found.otherPortNames, tc.ready, tc.notReady, tc.port)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v1alpha1.wardle.example.com", "v1alpha1.wardle.example.com", 0},
		{"v1alpha1.wardle.example.com", "v1alpha1.wardel.example.com", 2},
		{"v1.a", "v2.ab", 2},
		{"", "abc", 3},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
