package resolve

import (
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1listers "k8s.io/client-go/listers/core/v1"
	discoveryv1listers "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

const ns, svcName = "wardle", "api"

func service(mutate func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svcName},
		Spec: corev1.ServiceSpec{
			Type:       corev1.ServiceTypeClusterIP,
			ClusterIP:  "10.0.0.10",
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports:      []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromString("secure")}},
		},
	}
	if mutate != nil {
		mutate(s)
	}
	return s
}

type ep struct {
	addr  string
	ready *bool
}

func slice(name string, family discoveryv1.AddressType, portName string, port int32, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: family,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(portName), Port: ptr.To(port)}},
	}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{e.addr}, Conditions: discoveryv1.EndpointConditions{Ready: e.ready}})
	}
	return s
}

func indexer(t *testing.T, objs ...runtime.Object) cache.Indexer {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, o := range objs {
		if err := idx.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}

func TestEndpointResolver(t *testing.T) {
	otherSvcSlice := slice("other", discoveryv1.AddressTypeIPv4, "https", 9443, ep{addr: "10.9.9.9"})
	otherSvcSlice.Labels[discoveryv1.LabelServiceName] = "other"
	tests := []struct {
		name      string
		services  []runtime.Object
		slices    []runtime.Object
		endpoints []runtime.Object
		port      int32
		want      []string
		reason    string
	}{
		{name: "no service", port: 443, reason: ReasonServiceNotFound},
		{name: "service on bad port", services: []runtime.Object{service(nil)}, port: 8443, reason: ReasonServicePortError},
		{name: "no endpoints", services: []runtime.Object{service(nil)}, slices: []runtime.Object{otherSvcSlice}, port: 443, reason: ReasonEndpointsNotFound},
		{
			name:     "ready endpoints mapped to the target port through the port name, nil ready counts as ready",
			services: []runtime.Object{service(nil)},
			slices: []runtime.Object{
				slice("a", discoveryv1.AddressTypeIPv4, "https", 8443, ep{addr: "10.1.0.2", ready: ptr.To(true)}, ep{addr: "10.1.0.1"}),
				slice("b", discoveryv1.AddressTypeIPv4, "https", 8443, ep{addr: "10.1.0.3", ready: ptr.To(false)}, ep{addr: "10.1.0.2"}),
			},
			port: 443, want: []string{"10.1.0.1:8443", "10.1.0.2:8443"},
		},
		{
			name: "primary IP family first",
			services: []runtime.Object{service(func(s *corev1.Service) {
				s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
			})},
			slices: []runtime.Object{
				slice("v4", discoveryv1.AddressTypeIPv4, "https", 8443, ep{addr: "10.1.0.1"}),
				slice("v6", discoveryv1.AddressTypeIPv6, "https", 8443, ep{addr: "fd00::1"}),
			},
			port: 443, want: []string{"[fd00::1]:8443", "10.1.0.1:8443"},
		},
		{
			name:     "wrong endpoint port name",
			services: []runtime.Object{service(nil)},
			slices:   []runtime.Object{slice("a", discoveryv1.AddressTypeIPv4, "metrics", 8443, ep{addr: "10.1.0.1"})},
			port:     443, reason: ReasonMissingEndpoints,
		},
		{
			name:     "endpoints not ready",
			services: []runtime.Object{service(nil)},
			slices:   []runtime.Object{slice("a", discoveryv1.AddressTypeIPv4, "https", 8443, ep{addr: "10.1.0.1", ready: ptr.To(false)})},
			port:     443, reason: ReasonMissingEndpoints,
		},
		{
			name:     "legacy Endpoints when there are no slices",
			services: []runtime.Object{service(nil)},
			endpoints: []runtime.Object{&corev1.Endpoints{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svcName},
				Subsets: []corev1.EndpointSubset{{
					Addresses:         []corev1.EndpointAddress{{IP: "10.2.0.1"}},
					NotReadyAddresses: []corev1.EndpointAddress{{IP: "10.2.0.2"}},
					Ports:             []corev1.EndpointPort{{Name: "https", Port: 6443}},
				}},
			}},
			port: 443, want: []string{"10.2.0.1:6443"},
		},
		{
			name: "external name is not checked against ports",
			services: []runtime.Object{service(func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName, s.Spec.Ports = corev1.ServiceTypeExternalName, "api.example.com", nil
			})},
			port: 8443, want: []string{"api.example.com:8443"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewEndpointResolver(
				corev1listers.NewServiceLister(indexer(t, tt.services...)),
				discoveryv1listers.NewEndpointSliceLister(indexer(t, tt.slices...)),
				corev1listers.NewEndpointsLister(indexer(t, tt.endpoints...)),
			)
			got, err := r.Resolve(ns, svcName, tt.port)
			checkResult(t, got, err, tt.want, tt.reason)
		})
	}
}

func TestClusterIPResolver(t *testing.T) {
	tests := []struct {
		name     string
		services []runtime.Object
		port     int32
		want     []string
		reason   string
	}{
		{name: "no service", port: 443, reason: ReasonServiceNotFound},
		{name: "service on bad port", services: []runtime.Object{service(nil)}, port: 8443, reason: ReasonServicePortError},
		{name: "cluster IP and the service port", services: []runtime.Object{service(nil)}, port: 443, want: []string{"10.0.0.10:443"}},
		{
			name:     "headless",
			services: []runtime.Object{service(func(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone })},
			port:     443, reason: ReasonServiceAccessError,
		},
		{
			name: "external name",
			services: []runtime.Object{service(func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "api.example.com"
			})},
			port: 443, want: []string{"api.example.com:443"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewClusterIPResolver(corev1listers.NewServiceLister(indexer(t, tt.services...)))
			got, err := r.Resolve(ns, svcName, tt.port)
			checkResult(t, got, err, tt.want, tt.reason)
		})
	}
}

func checkResult(t *testing.T, got []string, err error, want []string, reason string) {
	t.Helper()
	if reason != "" {
		var rerr *Error
		if !errors.As(err, &rerr) || rerr.Reason != reason {
			t.Fatalf("Resolve() = %v, %v; want an *Error with reason %s", got, err, reason)
		}
		if rerr.Message == "" {
			t.Errorf("error %q has no message", err)
		}
		return
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Resolve() = %v, %v; want %v", got, err, want)
	}
}
