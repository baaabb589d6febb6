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
	alloc     *ipalloc.ServiceAllocator
	client    *clientv3.Client
	closeOnce sync.Once
}

// serviceStorage replaces the plain Service store by one that allocates.
// The status store was copied from it before, so status writes do not.
func (s *Server) serviceStorage(paths map[string]rest.Storage) error {
	cidr, err := ipalloc.ParseServiceCIDR(s.opts.ServiceClusterIPRange)
	if err != nil {
		return fmt.Errorf("--service-cluster-ip-range: %w", err)
	}
	cfg := clientv3.Config{Endpoints: s.etcdServers(), DialTimeout: 20 * time.Second, Logger: zap.NewNop()}
	if o := s.opts.Etcd; o.CAFile != "" || o.CertFile != "" {
		if cfg.TLS, err = (transport.TLSInfo{CertFile: o.CertFile, KeyFile: o.KeyFile, TrustedCAFile: o.CAFile}).ClientConfig(); err != nil {
			return fmt.Errorf("etcd TLS for service allocation: %w", err)
		}
	}
	client, err := clientv3.New(cfg)
	if err != nil {
		return fmt.Errorf("etcd client for service allocation: %w", err)
	}
	alloc, err := ipalloc.NewServiceAllocator(ipalloc.Config{Client: client, Prefix: s.opts.Etcd.Prefix,
		ClusterIPRange: cidr, NodePortRange: s.opts.ServiceNodePortRange})
	if err != nil {
		client.Close()
		return err
	}
	main := paths["services"].(*REST)
	alloc.Install(main.Store)
	paths["services"] = &serviceREST{REST: main, alloc: alloc, client: client}
	return nil
}

// Update lets the allocator release what the stored Service no longer
// holds once the update is stored.
func (r *serviceREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.alloc.Update(ctx, func(ctx context.Context) (runtime.Object, bool, error) {
		return r.REST.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	})
}

// start repairs the allocations before the server reports ready, then
// periodically, and closes the etcd client when the server is destroyed.
func (r *serviceREST) start(server *genericapiserver.GenericAPIServer) {
	server.RegisterDestroyFunc(func() { r.closeOnce.Do(func() { r.client.Close() }) })
	server.AddPostStartHookOrDie("service-allocation-repair", func(ctx genericapiserver.PostStartHookContext) error {
		if err := retryUntilReady(ctx, "service-allocation-repair", func(ctx context.Context) error {
			return r.alloc.Repair(ctx, r)
		}); err != nil {
			return err
		}
		go r.alloc.RepairPeriodically(ctx, r, ipalloc.DefaultRepairPeriod)
		return nil
	})
}
