package controlplane

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/aggkit/aggkit/pkg/controlplane/ipalloc"
)

// serviceREST is the Service storage with cluster IP and node port
// allocation (package ipalloc) in its create, update and delete.
type serviceREST struct {
	*REST
	alloc *ipalloc.ServiceAllocator
}

// allocateServiceIPs is the wrap of services: the plain Service store
// becomes one that allocates (the status store was copied from it before,
// so status writes do not). The allocations are repaired before the
// server reports ready, then periodically; the allocator's etcd client is
// closed with the server.
func allocateServiceIPs(deps *dependencies, plain *REST, paths map[string]rest.Storage) error {
	o := deps.opts
	cidr, err := ipalloc.ParseServiceCIDR(o.ServiceClusterIPRange)
	if err != nil {
		return fmt.Errorf("--service-cluster-ip-range: %w", err)
	}
	cfg := clientv3.Config{Endpoints: deps.etcdServers, DialTimeout: 20 * time.Second, Logger: zap.NewNop()}
	if e := o.Etcd; e.CAFile != "" || e.CertFile != "" {
		if cfg.TLS, err = (transport.TLSInfo{CertFile: e.CertFile, KeyFile: e.KeyFile, TrustedCAFile: e.CAFile}).ClientConfig(); err != nil {
			return fmt.Errorf("etcd TLS for service allocation: %w", err)
		}
	}
	client, err := clientv3.New(cfg)
	if err != nil {
		return fmt.Errorf("etcd client for service allocation: %w", err)
	}
	alloc, err := ipalloc.NewServiceAllocator(ipalloc.Config{Client: client, Prefix: o.Etcd.Prefix,
		ClusterIPRange: cidr, NodePortRange: o.ServiceNodePortRange})
	if err != nil {
		client.Close()
		return err
	}
	alloc.Install(plain.Store)
	services := &serviceREST{REST: plain, alloc: alloc}
	paths["services"] = services
	deps.onDestroy(sync.OnceFunc(func() { client.Close() }))
	deps.addPostStartHook("service-allocation-repair", services.repair)
	return nil
}

// Update lets the allocator release what the stored Service no longer
// holds once the update is stored.
func (r *serviceREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.alloc.Update(ctx, func(ctx context.Context) (runtime.Object, bool, error) {
		return r.REST.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	})
}

// repair repairs the allocations before the server reports ready, then
// every ipalloc.DefaultRepairPeriod.
func (r *serviceREST) repair(ctx genericapiserver.PostStartHookContext) error {
	if err := retryUntilReady(ctx, "service-allocation-repair", func(ctx context.Context) error {
		return r.alloc.Repair(ctx, r)
	}); err != nil {
		return err
	}
	go r.alloc.RepairPeriodically(ctx, r, ipalloc.DefaultRepairPeriod)
	return nil
}
