package aggregator

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/uuid"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
	aggregatorinformers "k8s.io/kube-aggregator/pkg/client/informers/externalversions"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/aggkit/aggkit/pkg/aggregator/availability"
	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/discovery"
	"github.com/aggkit/aggkit/pkg/aggregator/openapi"
	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

// Config is what the aggregation layer needs from the server it runs in.
type Config struct {
	// Codecs encode error Statuses.
	Codecs serializer.CodecFactory
	// LoopbackConfig is a privileged client configuration for this server.
	LoopbackConfig *rest.Config
	// KubeInformers are the server's shared informers (Services, Endpoints,
	// EndpointSlices); the aggregator registers its informers in New, and
	// the server that owns the factory starts it.
	KubeInformers informers.SharedInformerFactory
	// ProxyClientCertFile and ProxyClientKeyFile are presented to backends.
	ProxyClientCertFile, ProxyClientKeyFile string
	// The requestheader header names (--requestheader-*): stripped from
	// proxied requests so callers cannot choose the identity a backend sees.
	UsernameHeaders, GroupHeaders, UIDHeaders, ExtraHeaderPrefixes []string
	// EndpointRouting sends requests to the Service's endpoints rather than
	// its cluster IP (--enable-aggregator-routing).
	EndpointRouting bool
	// AvailabilityPeriod is how often every remote APIService is probed.
	AvailabilityPeriod time.Duration
	// AvailabilityLease elects one replica to write APIService status
	// (--apiservice-availability-lease); off, every replica writes.
	AvailabilityLease bool
	// BuiltinOpenAPIV2 is the server's own v2 document when the server
	// builds it lazily; nil means its StaticOpenAPISpec (PrepareRun's).
	BuiltinOpenAPIV2 cached.Value[*spec.Swagger]
}

// Aggregator is the aggregation layer, built before the server it runs
// in so that the server's filter chains can hold its proxy from the start.
type Aggregator struct {
	// Proxy forwards requests for remote APIServices; Proxy.Proxies tells
	// which paths are theirs (none until Install's registration
	// controller has listed the APIServices).
	Proxy *proxy.Handler

	cfg                 Config
	proxyCert           *dynamiccertificates.DynamicCertKeyPairContent
	client              aggregatorclient.Interface
	apiInformers        aggregatorinformers.SharedInformerFactory
	resolver            resolve.Resolver
	synced              []cache.InformerSynced
	transports          *backend.Transports
	proxyMetrics        *proxy.Metrics
	availabilityMetrics *availability.Metrics
}

// New builds the proxy and what it reads (informers, resolver,
// transports). Install adds the rest to the server.
func New(cfg Config) (*Aggregator, error) {
	proxyCert, err := dynamiccertificates.NewDynamicServingContentFromFiles("aggregator-proxy-cert", cfg.ProxyClientCertFile, cfg.ProxyClientKeyFile)
	if err != nil {
		return nil, fmt.Errorf("--proxy-client-cert-file: %w", err)
	}
	client, err := aggregatorclient.NewForConfig(cfg.LoopbackConfig)
	if err != nil {
		return nil, err
	}
	a := &Aggregator{cfg: cfg, proxyCert: proxyCert, client: client,
		apiInformers: aggregatorinformers.NewSharedInformerFactory(client, 30*time.Second)}
	core := cfg.KubeInformers.Core().V1()
	slices := cfg.KubeInformers.Discovery().V1().EndpointSlices()

	a.resolver = resolve.NewClusterIPResolver(core.Services().Lister())
	resolvedFrom := []cache.SharedIndexInformer{core.Services().Informer()}
	if cfg.EndpointRouting {
		a.resolver = resolve.NewEndpointResolver(core.Services().Lister(), slices.Lister(), core.Endpoints().Lister())
		resolvedFrom = append(resolvedFrom, core.Endpoints().Informer(), slices.Informer())
	}
	a.transports = backend.NewTransports(proxyCert)

	// The proxy resolves on every request, so it reads a cache kept current
	// by the same informers' events; the controllers read the listers.
	cached := resolve.NewCached(a.resolver)
	for _, informer := range resolvedFrom {
		if err := cached.InvalidateOn(informer); err != nil {
			return nil, err
		}
		a.synced = append(a.synced, informer.HasSynced)
	}
	a.proxyMetrics, a.availabilityMetrics = proxy.NewMetrics(), availability.NewMetrics()
	a.Proxy = proxy.NewHandler(proxy.Config{
		Resolver: resolve.WhenSynced(cached, a.synced...), Transports: a.transports, Serializer: cfg.Codecs, Metrics: a.proxyMetrics,
		RequestHeaderUsernameHeaders: cfg.UsernameHeaders, RequestHeaderGroupHeaders: cfg.GroupHeaders,
		RequestHeaderUIDHeaders: cfg.UIDHeaders, RequestHeaderExtraHeaderPrefixes: cfg.ExtraHeaderPrefixes,
	})
	return a, nil
}

// Install adds the aggregation layer to server, which must have been built
// with EnableDiscovery false: this package serves /apis itself. Call it
// after the server's own groups are installed.
func (a *Aggregator) Install(server *genericapiserver.GenericAPIServer) error {
	cfg, client, proxyCert, resolver, transports, synced := a.cfg, a.client, a.proxyCert, a.resolver, a.transports, a.synced
	apiInformers := a.apiInformers
	apiServices := apiInformers.Apiregistration().V1().APIServices()
	core := cfg.KubeInformers.Core().V1()
	slices := cfg.KubeInformers.Discovery().V1().EndpointSlices()
	registry, err := newRegistry(a.proxyMetrics, a.availabilityMetrics)
	if err != nil {
		return err
	}
	exposeMetrics(server, registry)
	registration, err := newRegistration(server.Handler.NonGoRestfulMux, a.Proxy, apiServices)
	if err != nil {
		return err
	}

	apisHandler, err := discovery.NewAPIsHandler(apiServices)
	if err != nil {
		return err
	}
	apisHandler.Install(server)
	// A remote version of a built-in group must show in /apis/<group> and
	// reach the proxy, so /apis/<group> is answered from APIServices too.
	discovery.RemoveBuiltinGroupHandlers(server)
	// Discovery starts with the APIService informer; it must not read the
	// Service listers before they are filled either.
	fetch := discovery.ServiceFetcher(resolve.WhenSynced(resolver, synced...).Resolve, func(svc *apiregistrationv1.APIService) (http.RoundTripper, error) {
		t, err := transports.For(svc)
		if err != nil {
			return nil, err
		}
		return t.RoundTripper, nil
	})
	manager, err := discovery.NewManager(discovery.ManagerConfig{
		APIServices: apiServices,
		Resources:   server.AggregatedDiscoveryGroupManager,
		Fetch:       fetch,
	})
	if err != nil {
		return err
	}
	openAPI, err := openapi.New(openapi.Config{APIServices: apiServices, Fetch: fetch, BuiltinV2: cfg.BuiltinOpenAPIV2})
	if err != nil {
		return err
	}

	var available *availability.Controller
	elector, err := newElector(cfg, server, func() { available.Resync() })
	if err != nil {
		return err
	}
	availabilityConfig := availability.Config{
		Metrics:               a.availabilityMetrics,
		APIServiceClient:      client.ApiregistrationV1(),
		APIServiceInformer:    apiServices,
		ServiceInformer:       core.Services(),
		EndpointSliceInformer: slices,
		EndpointsInformer:     core.Endpoints(),
		Resolver:              resolver,
		Transports:            transports,
		Period:                cfg.AvailabilityPeriod,
	}
	if elector != nil {
		// Only a non-nil elector: a nil *LeaseElector in the interface
		// would not read as "no elector".
		availabilityConfig.Elector = elector
	}
	available, err = availability.New(availabilityConfig)
	if err != nil {
		return err
	}

	server.AddPostStartHookOrDie("start-aggregator-informers", func(ctx genericapiserver.PostStartHookContext) error {
		go proxyCert.Run(ctx, 1)
		apiInformers.Start(ctx.Done())
		return nil
	})
	// A restarting replica must not answer 404 for a registered APIService
	// whose path it has not installed yet: until the first list is in the
	// mux, unknown paths answer 503 with Retry-After (controlplane's
	// notFound) and /readyz fails, as in kube-aggregator.
	// Unlike discovery's and openapi's, this wait is not bounded: syncing a
	// path reaches no backend, so only a stopped server keeps it open.
	if err := server.RegisterMuxAndDiscoveryCompleteSignal("APIServiceRegistrationControllerInitiated", registration.initiated()); err != nil {
		return err
	}
	server.AddPostStartHookOrDie("apiservice-registration-controller", func(ctx genericapiserver.PostStartHookContext) error {
		go registration.run(ctx, 1)
		select {
		case <-registration.initiated():
		case <-ctx.Done():
		}
		return nil
	})
	server.AddPostStartHookOrDie("apiservice-status-remote-available-controller", func(ctx genericapiserver.PostStartHookContext) error {
		go available.Run(ctx, 5)
		return nil
	})
	if elector != nil {
		runLeaseElection(server, elector)
	}
	server.AddPostStartHookOrDie(discovery.PostStartHookName, manager.PostStartHook(2, 0))
	server.AddPostStartHookOrDie(openapi.PostStartHookName, openAPI.PostStartHook(server, 2, 0))
	return nil
}

// newElector is the Lease elector when cfg asks for one, else nil (this
// replica always writes).
func newElector(cfg Config, server *genericapiserver.GenericAPIServer, onStartedLeading func()) (*availability.LeaseElector, error) {
	if !cfg.AvailabilityLease {
		return nil, nil
	}
	kube, err := kubernetes.NewForConfig(cfg.LoopbackConfig)
	if err != nil {
		return nil, err
	}
	host, err := os.Hostname()
	if err != nil {
		host = "aggkit"
	}
	// The identity is the host and the address this replica serves on: no
	// two live processes share it, and a replica restarted in place has
	// the same one, so it takes its own lease back at once instead of
	// waiting for it to expire.
	identity := host + "_" + string(uuid.NewUUID())
	if server.SecureServingInfo != nil && server.SecureServingInfo.Listener != nil {
		identity = host + "_" + server.SecureServingInfo.Listener.Addr().String()
	}
	return availability.NewLeaseElector(availability.LeaseConfig{
		Client:           kube.CoordinationV1(),
		Identity:         identity,
		OnStartedLeading: onStartedLeading,
	})
}

// runLeaseElection campaigns from the server's start until its shutdown
// begins. It stops in a pre-shutdown hook, while the server still serves, so
// that releasing the Lease reaches it and another replica takes over at once
// rather than after the lease expires.
func runLeaseElection(server *genericapiserver.GenericAPIServer, elector *availability.LeaseElector) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	server.AddPostStartHookOrDie("apiservice-availability-lease", func(genericapiserver.PostStartHookContext) error {
		go func() {
			defer close(done)
			elector.Run(ctx)
		}()
		return nil
	})
	server.AddPreShutdownHookOrDie("apiservice-availability-lease", func() error {
		stop()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			klog.InfoS("APIService availability lease not released within 5s; another replica takes over when it expires")
		}
		return nil
	})
}
