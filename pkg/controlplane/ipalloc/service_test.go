package ipalloc_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/aggkit/aggkit/pkg/controlplane"
	"github.com/aggkit/aggkit/pkg/etcd"
)

// smallNodePorts keeps node port tests readable: 30000-30009.
func smallNodePorts(o *controlplane.Options) {
	o.ServiceNodePortRange = utilnet.PortRange{Base: 30000, Size: 10}
}

// TestServiceAllocation covers create, update and delete of Services on
// one control plane with kube-apiserver's default range, 10.0.0.0/24.
func TestServiceAllocation(t *testing.T) {
	s := startServer(t, dataDir(t), smallNodePorts)
	ctx := context.Background()
	services := s.client.CoreV1().Services(metav1.NamespaceDefault)

	t.Run("kubernetes Service gets the first address", func(t *testing.T) {
		svc, err := services.Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if svc.Spec.ClusterIP != "10.0.0.1" {
			t.Errorf("kubernetes clusterIP = %q, want 10.0.0.1", svc.Spec.ClusterIP)
		}
	})

	mustCreate(t, s, service("taken", withClusterIP("10.0.0.10")))
	creates := []struct {
		name             string
		svc              *corev1.Service
		wantIP           string // "any" is any address a dynamic allocation may give
		errPath, errText string
	}{
		{name: "no clusterIP gets one", svc: service("dynamic"), wantIP: "any"},
		{name: "clusterIPs alone is honoured", svc: service("plural", func(s *corev1.Service) { s.Spec.ClusterIPs = []string{"10.0.0.11"} }), wantIP: "10.0.0.11"},
		{name: "a free requested IP is kept", svc: service("requested", withClusterIP("10.0.0.12")), wantIP: "10.0.0.12"},
		{name: "a taken IP is refused", svc: service("dup", withClusterIP("10.0.0.10")),
			errPath: "spec.clusterIPs[0]", errText: "failed to allocate IP 10.0.0.10: provided IP is already allocated"},
		{name: "an IP outside the range is refused", svc: service("outside", withClusterIP("10.1.0.5")),
			errPath: "spec.clusterIPs[0]", errText: "is not in the valid range. The range of valid IPs is 10.0.0.0/24"},
		{name: "the network address is refused", svc: service("network", withClusterIP("10.0.0.0")),
			errPath: "spec.clusterIPs[0]", errText: "not in the valid range"},
		{name: "the broadcast address is refused", svc: service("broadcast", withClusterIP("10.0.0.255")),
			errPath: "spec.clusterIPs[0]", errText: "not in the valid range"},
		{name: "an IPv6 family is refused on an IPv4 range", svc: service("v6", func(s *corev1.Service) { s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol} }),
			errPath: "spec.ipFamilies[0]", errText: "not configured on this cluster"},
		{name: "headless gets nothing", svc: service("headless", withClusterIP(corev1.ClusterIPNone)), wantIP: corev1.ClusterIPNone},
		{name: "ExternalName gets nothing", svc: service("external", withType(corev1.ServiceTypeExternalName)), wantIP: ""},
	}
	for _, tc := range creates {
		t.Run("create: "+tc.name, func(t *testing.T) {
			out, err := create(t, s, tc.svc)
			if tc.errPath != "" {
				wantInvalid(t, err, tc.errPath, tc.errText)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := out.Spec.ClusterIP
			switch {
			case tc.wantIP == "any":
				wantDynamicIP(t, got, "10.0.0.0/24")
			case got != tc.wantIP:
				t.Errorf("clusterIP = %q, want %q", got, tc.wantIP)
			}
			if want := []string{got}; got != "" && !slices.Equal(out.Spec.ClusterIPs, want) {
				t.Errorf("clusterIPs = %q, want %q", out.Spec.ClusterIPs, want)
			}
		})
	}

	t.Run("update: clusterIP is immutable", func(t *testing.T) {
		svc, err := services.Get(ctx, "requested", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "10.0.0.9", []string{"10.0.0.9"}
		_, err = services.Update(ctx, svc, metav1.UpdateOptions{})
		wantInvalid(t, err, "spec.clusterIPs[0]", "may not change once set")
	})
	t.Run("update: a second (dual-stack) IP is refused", func(t *testing.T) {
		svc, err := services.Get(ctx, "requested", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, "fd00::10")
		svc.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicyPreferDualStack)
		_, err = services.Update(ctx, svc, metav1.UpdateOptions{})
		wantInvalid(t, err, "spec.clusterIPs[1]", "not configured for dual-stack")
	})
	t.Run("update: a replace without clusterIP keeps it", func(t *testing.T) {
		svc, err := services.Get(ctx, "requested", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
		out, err := services.Update(ctx, svc, metav1.UpdateOptions{})
		if err != nil || out.Spec.ClusterIP != "10.0.0.12" {
			t.Fatalf("replace without clusterIP: %v, clusterIP %q, want 10.0.0.12", err, clusterIPOf(out))
		}
	})
	t.Run("delete releases the IP for the next create", func(t *testing.T) {
		mustDelete(t, s, "requested")
		out := mustCreate(t, s, service("requested-again", withClusterIP("10.0.0.12")))
		if out.Spec.ClusterIP != "10.0.0.12" {
			t.Fatalf("clusterIP = %q", out.Spec.ClusterIP)
		}
	})

	typeChanges := []struct {
		name  string
		patch string
	}{
		{name: "a patch of only the type", patch: `{"spec":{"type":"ExternalName","externalName":"example.com"}}`},
		{name: "an update clearing the IPs", patch: `{"spec":{"type":"ExternalName","externalName":"example.com","clusterIP":null,"clusterIPs":null,"ipFamilies":null,"ipFamilyPolicy":null}}`},
	}
	for i, tc := range typeChanges {
		t.Run("update: ClusterIP to ExternalName by "+tc.name+" releases the IP", func(t *testing.T) {
			ip := fmt.Sprintf("10.0.0.%d", 13+i)
			name := fmt.Sprintf("to-external-%d", i)
			mustCreate(t, s, service(name, withClusterIP(ip)))
			out, err := services.Patch(ctx, name, types.MergePatchType, []byte(tc.patch), metav1.PatchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if out.Spec.ClusterIP != "" || len(out.Spec.ClusterIPs) != 0 {
				t.Fatalf("ExternalName keeps clusterIPs %q", out.Spec.ClusterIPs)
			}
			mustCreate(t, s, service(name+"-reuse", withClusterIP(ip)))
		})
	}
	t.Run("update: ExternalName to ClusterIP allocates", func(t *testing.T) {
		out, err := services.Patch(ctx, "external", types.MergePatchType,
			[]byte(`{"spec":{"type":"ClusterIP","externalName":null}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantDynamicIP(t, out.Spec.ClusterIP, "10.0.0.0/24")
	})

	t.Run("dry run allocates nothing", func(t *testing.T) {
		dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
		_, err := services.Create(ctx, service("dry-taken", withClusterIP("10.0.0.10")), dry)
		wantInvalid(t, err, "spec.clusterIPs[0]", "provided IP is already allocated")
		out, err := services.Create(ctx, service("dry"), dry)
		if err != nil {
			t.Fatal(err)
		}
		wantDynamicIP(t, out.Spec.ClusterIP, "10.0.0.0/24")
		mustCreate(t, s, service("after-dry", withClusterIP(out.Spec.ClusterIP)))
	})

	// The requested case comes first: later requests take a port
	// freeNodePort finds, since dynamic allocations land anywhere.
	nodePortCases := []struct {
		name             string
		svc              *corev1.Service
		want             []int32 // 0 is any port of the range
		errPath, errText string
	}{
		{name: "a requested node port is kept", svc: service("np-req", withType(corev1.ServiceTypeNodePort), withNodePorts(30005, 0)), want: []int32{30005, 0}},
		{name: "NodePort ports get node ports", svc: service("np", withType(corev1.ServiceTypeNodePort), withNodePorts(0, 0)), want: []int32{0, 0}},
		{name: "a taken node port is refused", svc: service("np-dup", withType(corev1.ServiceTypeNodePort), withNodePorts(0, 30005)),
			errPath: "spec.ports[1].nodePort", errText: "provided port is already allocated"},
		{name: "a node port outside the range is refused", svc: service("np-out", withType(corev1.ServiceTypeNodePort), withNodePorts(31000)),
			errPath: "spec.ports[0].nodePort", errText: "provided port is not in the valid range. The range of valid ports is 30000-30009"},
		{name: "TCP and UDP of one port share a node port", svc: service("np-proto", withType(corev1.ServiceTypeNodePort), func(s *corev1.Service) {
			s.Spec.Ports = []corev1.ServicePort{{Name: "tcp", Port: 53, Protocol: corev1.ProtocolTCP}, {Name: "udp", Port: 53, Protocol: corev1.ProtocolUDP}}
		}), want: []int32{0, -1}},
		{name: "LoadBalancer gets node ports", svc: service("lb", withType(corev1.ServiceTypeLoadBalancer)), want: []int32{0}},
		{name: "LoadBalancer may opt out", svc: service("lb-none", withType(corev1.ServiceTypeLoadBalancer), func(s *corev1.Service) {
			s.Spec.AllocateLoadBalancerNodePorts = new(bool)
		}), want: []int32{-2}},
	}
	for _, tc := range nodePortCases {
		t.Run("node ports: "+tc.name, func(t *testing.T) {
			out, err := create(t, s, tc.svc)
			if tc.errPath != "" {
				wantInvalid(t, err, tc.errPath, tc.errText)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int32]bool{}
			for i, want := range tc.want {
				got := out.Spec.Ports[i].NodePort
				switch want {
				case -2: // none
					if got != 0 {
						t.Errorf("ports[%d].nodePort = %d, want none", i, got)
					}
				case -1: // same as the previous port
					if got != out.Spec.Ports[i-1].NodePort {
						t.Errorf("ports[%d].nodePort = %d, want %d", i, got, out.Spec.Ports[i-1].NodePort)
					}
				default:
					if got < 30000 || got > 30009 || (want != 0 && got != want) || seen[got] {
						t.Errorf("ports[%d].nodePort = %d, want %d (0: a free one of 30000-30009)", i, got, want)
					}
					seen[got] = true
				}
			}
		})
	}
	t.Run("node ports: LoadBalancer with Local traffic gets a health check node port", func(t *testing.T) {
		out := mustCreate(t, s, service("lb-local", withType(corev1.ServiceTypeLoadBalancer), withNodePorts(freeNodePort(t, s)), func(s *corev1.Service) {
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}))
		if hc := out.Spec.HealthCheckNodePort; hc < 30000 || hc > 30009 || hc == out.Spec.Ports[0].NodePort {
			t.Fatalf("healthCheckNodePort = %d, want another free port of 30000-30009", hc)
		}
		hc := out.Spec.HealthCheckNodePort
		out, err := services.Patch(ctx, "lb-local", types.MergePatchType, []byte(`{"spec":{"externalTrafficPolicy":"Cluster"}}`), metav1.PatchOptions{})
		if err != nil || out.Spec.HealthCheckNodePort != 0 {
			t.Fatalf("externalTrafficPolicy Cluster: %v, healthCheckNodePort %d, want none", err, out.Spec.HealthCheckNodePort)
		}
		mustCreate(t, s, service("hc-reuse", withType(corev1.ServiceTypeNodePort), withNodePorts(hc)))
		mustDelete(t, s, "hc-reuse")
		mustDelete(t, s, "lb-local")
	})
	t.Run("node ports: NodePort to ClusterIP releases them", func(t *testing.T) {
		out, err := services.Patch(ctx, "np-req", types.MergePatchType, []byte(`{"spec":{"type":"ClusterIP"}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out.Spec.Ports {
			if p.NodePort != 0 {
				t.Fatalf("ClusterIP Service keeps nodePort %d", p.NodePort)
			}
		}
		mustCreate(t, s, service("np-reuse", withType(corev1.ServiceTypeNodePort), withNodePorts(30005)))
	})
	t.Run("node ports: adding a port allocates, delete releases", func(t *testing.T) {
		requested := freeNodePort(t, s)
		svc := mustCreate(t, s, service("np-grow", withType(corev1.ServiceTypeNodePort), withNodePorts(requested)))
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "more", Port: 90})
		out, err := services.Update(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Spec.Ports[0].NodePort != requested || out.Spec.Ports[1].NodePort == 0 {
			t.Fatalf("node ports after adding a port: %d, %d", out.Spec.Ports[0].NodePort, out.Spec.Ports[1].NodePort)
		}
		added := out.Spec.Ports[1].NodePort
		mustDelete(t, s, "np-grow")
		mustCreate(t, s, service("np-grow-again", withType(corev1.ServiceTypeNodePort), withNodePorts(requested, added)))
	})
}

// wantDynamicIP checks an address a dynamic allocation may give: in the
// range, neither the network, the broadcast nor the kubernetes address.
func wantDynamicIP(t *testing.T, ip, cidr string) {
	t.Helper()
	addr, err := netip.ParseAddr(ip)
	prefix := netip.MustParsePrefix(cidr)
	first := prefix.Addr().Next()
	if err != nil || !prefix.Contains(addr) || addr == prefix.Addr() || addr == first || !prefix.Contains(addr.Next()) {
		t.Fatalf("clusterIP %q is not a dynamically allocatable address of %s", ip, cidr)
	}
}

// freeNodePort is a port of 30000-30009 that no Service holds.
func freeNodePort(t *testing.T, s *testServer) int32 {
	t.Helper()
	list, err := s.client.CoreV1().Services(metav1.NamespaceAll).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	used := map[int32]bool{}
	for _, svc := range list.Items {
		used[svc.Spec.HealthCheckNodePort] = true
		for _, p := range svc.Spec.Ports {
			used[p.NodePort] = true
		}
	}
	for port := int32(30000); port < 30010; port++ {
		if !used[port] {
			return port
		}
	}
	t.Fatal("no free node port left in 30000-30009")
	return 0
}

func clusterIPOf(svc *corev1.Service) string {
	if svc == nil {
		return ""
	}
	return svc.Spec.ClusterIP
}

// TestServiceRangeFull fills a /29: the kubernetes Service holds .1, five
// Services get .2-.6, the sixth is refused as kube-apiserver does (500,
// "range is full"); a delete makes room again. A create that runs out of
// node ports gives back what it had allocated.
func TestServiceRangeFull(t *testing.T) {
	s := startServer(t, dataDir(t), func(o *controlplane.Options) {
		o.ServiceClusterIPRange = "10.0.0.0/29"
		o.ServiceNodePortRange = utilnet.PortRange{Base: 30000, Size: 2}
	})
	got := map[string]bool{}
	for i := range 5 {
		got[mustCreate(t, s, service(fmt.Sprintf("s%d", i))).Spec.ClusterIP] = true
	}
	want := map[string]bool{"10.0.0.2": true, "10.0.0.3": true, "10.0.0.4": true, "10.0.0.5": true, "10.0.0.6": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("allocated %v, want %v", got, want)
	}
	_, err := create(t, s, service("one-too-many"))
	if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "failed to allocate a serviceIP: range is full") ||
		!strings.Contains(err.Error(), "10.0.0.0/29") {
		t.Fatalf("create in a full range: %v, want 500 naming the full range", err)
	}

	mustDelete(t, s, "s3")
	_, err = create(t, s, service("three-ports", withType(corev1.ServiceTypeNodePort), withNodePorts(0, 0, 0)))
	if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "failed to allocate a nodePort: range is full") {
		t.Fatalf("three node ports out of two: %v, want 500 range is full", err)
	}
	out := mustCreate(t, s, service("two-ports", withType(corev1.ServiceTypeNodePort), withNodePorts(0, 0)))
	wantDynamicIP(t, out.Spec.ClusterIP, "10.0.0.0/29")
	ports := []int32{out.Spec.Ports[0].NodePort, out.Spec.Ports[1].NodePort}
	slices.Sort(ports)
	if !slices.Equal(ports, []int32{30000, 30001}) {
		t.Fatalf("node ports %v, want 30000 and 30001 back from the failed create", ports)
	}
}

// TestServiceConcurrentCreates creates 50 Services at once through two
// replicas sharing one etcd: every one gets its own address.
func TestServiceConcurrentCreates(t *testing.T) {
	store, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Stop)
	shared := func(o *controlplane.Options) { o.Etcd.Servers = []string{store.ClientURL} }
	replicas := []*testServer{startServer(t, dataDir(t), shared), startServer(t, dataDir(t), shared)}

	const n = 50
	ips := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, err := create(t, replicas[i%2], service(fmt.Sprintf("c%02d", i)))
			if err == nil {
				ips[i] = out.Spec.ClusterIP
			}
			errs[i] = err
		})
	}
	wg.Wait()
	seen := map[string]int{"10.0.0.1": -1} // the kubernetes Service's
	for i, ip := range ips {
		if errs[i] != nil {
			t.Errorf("create c%02d: %v", i, errs[i])
			continue
		}
		wantDynamicIP(t, ip, "10.0.0.0/24")
		if other, dup := seen[ip]; dup {
			t.Errorf("c%02d and %d both got %s", i, other, ip)
		}
		seen[ip] = i
	}
}

func ptr[T any](v T) *T { return &v }
