package ipalloc

import (
	"fmt"
	"net/netip"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// DefaultLeakGrace is how old an allocation no Service uses must be before
// repair frees it: far longer than a create or update request takes
// between allocating and storing the Service.
const DefaultLeakGrace = 5 * time.Minute

// Config says where allocations are kept and what they are drawn from.
type Config struct {
	// Client reaches the etcd the apiserver stores objects in.
	Client *clientv3.Client
	// Prefix is the apiserver's etcd prefix (--etcd-prefix).
	Prefix string
	// ClusterIPRange is --service-cluster-ip-range (see ParseServiceCIDR).
	ClusterIPRange netip.Prefix
	// NodePortRange is --service-node-port-range.
	NodePortRange utilnet.PortRange
	// LeakGrace overrides DefaultLeakGrace when positive.
	LeakGrace time.Duration
}

// ServiceAllocator gives Services their cluster IPs and node ports. Install
// it into the Service store; see the package doc for how it stays correct.
type ServiceAllocator struct {
	ips, ports pool
	family     corev1.IPFamily
	leakGrace  time.Duration
	now        func() time.Time
}

// NewServiceAllocator returns an allocator over cfg's ranges.
func NewServiceAllocator(cfg Config) (*ServiceAllocator, error) {
	if cfg.Client == nil {
		return nil, fmt.Errorf("service allocator: no etcd client")
	}
	if !cfg.ClusterIPRange.IsValid() || cfg.NodePortRange.Size <= 0 {
		return nil, fmt.Errorf("service allocator: cluster IP range %q or node port range %q is empty", cfg.ClusterIPRange, cfg.NodePortRange.String())
	}
	base := cfg.Prefix + "/aggkit.io/allocations/"
	a := &ServiceAllocator{
		ips:       pool{space: newIPSpace(cfg.ClusterIPRange.Masked()), reg: &registry{client: cfg.Client, prefix: base + "serviceips/"}},
		ports:     pool{space: newPortSpace(cfg.NodePortRange), reg: &registry{client: cfg.Client, prefix: base + "servicenodeports/"}},
		family:    corev1.IPv4Protocol,
		leakGrace: DefaultLeakGrace,
		now:       time.Now,
	}
	if cfg.ClusterIPRange.Addr().Is6() {
		a.family = corev1.IPv6Protocol
	}
	if cfg.LeakGrace > 0 {
		a.leakGrace = cfg.LeakGrace
	}
	return a, nil
}
