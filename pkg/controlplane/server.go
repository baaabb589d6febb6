package controlplane

import (
	"net/http"

	"context"
	"errors"
	"fmt"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	apirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"net"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authzunion "k8s.io/apiserver/pkg/authorization/union"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericfilters "k8s.io/apiserver/pkg/server/filters"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	restclient "k8s.io/client-go/rest"
	basecompatibility "k8s.io/component-base/compatibility"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/aggregator"
	"github.com/aggkit/aggkit/pkg/aggregator/localapis"
	"github.com/aggkit/aggkit/pkg/controlplane/nsdelete"
	"github.com/aggkit/aggkit/pkg/controlplane/reviews"
	"github.com/aggkit/aggkit/pkg/etcd"
	"github.com/aggkit/aggkit/pkg/openapi"
	"github.com/aggkit/aggkit/pkg/rbac"
	"github.com/aggkit/aggkit/pkg/rbac/aggregation"
	"github.com/aggkit/aggkit/pkg/rbac/bootstrap"
	"github.com/aggkit/aggkit/pkg/rbac/escalation"
)

// kubernetesVersion is the Kubernetes minor whose API this control plane
// serves; it tracks the k8s.io/* modules in go.mod.
const kubernetesVersion = "1.37"

// Server is a running built-in control plane.
type Server struct {
	opts    *Options
	scheme  *runtime.Scheme
	codecs  serializer.CodecFactory
	etcd    *etcd.Embedded
	generic *genericapiserver.GenericAPIServer

	// Client talks to this server as a member of system:masters over
	// loopback; controllers and bootstrap use it.
	Client kubernetes.Interface
	// LoopbackConfig is the privileged client configuration behind Client.
	LoopbackConfig *restclient.Config
	// Informers are shared by the server's controllers and admission.
	Informers informers.SharedInformerFactory
	// AdminKubeconfig is the path of the kubeconfig written for people, or
	// empty when the client CA's key is not at hand.
	AdminKubeconfig string
	// URL is where the server listens, as https://host:port.
	URL string

	authn        *authentication
	authz        authorizer.Authorizer
	rules        authorizer.RuleResolver
	rbacResolver *rbac.Resolver
	// aggregator is built before the generic server, whose filter chains
	// send requests for remote APIServices to its proxy (handlerChain).
	aggregator *aggregator.Aggregator
}

// New prepares the control plane: certificates, storage (starting embedded
// etcd unless --etcd-servers is given), authentication, authorization and
// every built-in API. Run starts serving.
func New(ctx context.Context, o *Options) (s *Server, err error) {
	if errs := o.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := o.ensurePKI(); err != nil {
		return nil, fmt.Errorf("certificates under %s: %w", o.DataDir, err)
	}
	s = &Server{opts: o}
	s.scheme, s.codecs = newScheme()

	cfg := genericapiserver.NewRecommendedConfig(s.codecs)
	cfg.EffectiveVersion = basecompatibility.NewEffectiveVersionFromString(kubernetesVersion, "", "")
	cfg.FeatureGate = o.FeatureGate
	if cfg.FeatureGate == nil { // Options not from NewOptions
		cfg.FeatureGate = utilfeature.DefaultFeatureGate
	}
	cfg.RequestTimeout = o.RequestTimeout
	cfg.MaxRequestsInFlight, cfg.MaxMutatingRequestsInFlight = o.MaxRequestsInFlight, o.MaxMutatingRequestsInFlight
	// The aggregator serves /apis and /apis/<group> from APIServices, for
	// built-in and remote groups alike.
	cfg.EnableDiscovery = false
	// As kube-apiserver: watches, and the streaming subresources of proxied
	// resources, are not bounded by --request-timeout.
	// Upgrades (SPDY, WebSocket) must not be cut either, or the timeout
	// filter's writer could not be hijacked.
	basicLongRunning := genericfilters.BasicLongRunningRequestCheck(
		sets.NewString("watch", "proxy"), sets.NewString("attach", "exec", "proxy", "log", "portforward"))
	cfg.LongRunningFunc = func(r *http.Request, info *apirequest.RequestInfo) bool {
		return httpstream.IsUpgradeRequest(r) || basicLongRunning(r, info)
	}
	if err := applyServing(o.SecureServing, &cfg.Config); err != nil {
		return nil, fmt.Errorf("serving: %w", err)
	}
	s.URL = "https://" + net.JoinHostPort(advertisedHost(o), strconv.Itoa(cfg.SecureServing.Listener.Addr().(*net.TCPAddr).Port))

	if o.Etcd.Embedded() {
		if s.etcd, err = etcd.StartEmbedded(ctx, o.DataDir+"/etcd"); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				s.etcd.Stop()
			}
		}()
	}
	if err := s.applyStorage(&cfg.Config); err != nil {
		return nil, err
	}

	s.LoopbackConfig = cfg.LoopbackClientConfig
	if s.Client, err = kubernetes.NewForConfig(s.LoopbackConfig); err != nil {
		return nil, err
	}
	s.Informers = informers.NewSharedInformerFactory(s.Client, 0)
	cfg.SharedInformerFactory = s.Informers
	cfg.ClientConfig = s.LoopbackConfig
	if o.EnablePriorityAndFairness {
		cfg.FlowControl = s.flowControl()
	}
	if s.aggregator, err = aggregator.New(aggregator.Config{
		Codecs: s.codecs, LoopbackConfig: s.LoopbackConfig, KubeInformers: s.Informers,
		ProxyClientCertFile: o.ProxyClientCertFile, ProxyClientKeyFile: o.ProxyClientKeyFile,
		UsernameHeaders: o.RequestHeader.UsernameHeaders, GroupHeaders: o.RequestHeader.GroupHeaders,
		UIDHeaders: o.RequestHeader.UIDHeaders, ExtraHeaderPrefixes: o.RequestHeader.ExtraHeaderPrefixes,
		EndpointRouting: o.EnableAggregatorRouting, AvailabilityPeriod: o.AvailabilityPeriod,
		AvailabilityLease: o.AvailabilityLease,
	}); err != nil {
		return nil, fmt.Errorf("aggregator: %w", err)
	}
	cfg.BuildHandlerChainFunc = handlerChain(s.aggregator.Proxy)

	stored, err := s.buildStoredResources(cfg.RESTOptionsGetter)
	if err != nil {
		return nil, err
	}
	saTokens, tokenREST, err := s.serviceAccountTokens(stored)
	if err != nil {
		return nil, err
	}
	if s.authn, err = o.buildAuthentication(saTokens); err != nil {
		return nil, err
	}
	cfg.Authentication.Authenticator = s.authn.request
	cfg.Authentication.RequestHeaderConfig = s.authn.requestHeader
	cfg.Authentication.APIAudiences = o.apiAudiences()
	if err := cfg.Authentication.ApplyClientCert(s.authn.clientCA, cfg.SecureServing); err != nil {
		return nil, err
	}
	if err := s.buildAuthorization(); err != nil {
		return nil, err
	}
	cfg.Authorization.Authorizer = s.authz
	cfg.RuleResolver = s.rules
	s.preventEscalation(stored)
	if err := s.addReviews(stored, tokenREST); err != nil {
		return nil, err
	}

	if cfg.AdmissionControl, err = s.admission(); err != nil {
		return nil, err
	}

	namer := openapinamer.NewDefinitionNamer(s.scheme)
	cfg.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIConfig.Info.Title = "aggkit"
	cfg.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIV3Config.Info.Title = "aggkit"

	if s.generic, err = cfg.Complete().New("aggkit", notFound(s.codecs)); err != nil {
		return nil, err
	}
	if err := s.installAPIs(stored, cfg.RESTOptionsGetter); err != nil {
		return nil, err
	}
	if err := s.aggregator.Install(s.generic); err != nil {
		return nil, fmt.Errorf("aggregator: %w", err)
	}
	s.addPostStartHooks()
	if s.AdminKubeconfig, err = o.writeAdminKubeconfig(s.URL); err != nil {
		return nil, fmt.Errorf("admin kubeconfig: %w", err)
	}
	return s, nil
}

// Run serves until ctx ends, then stops the embedded etcd.
func (s *Server) Run(ctx context.Context) error {
	if s.etcd != nil {
		defer s.etcd.Stop()
	}
	klog.InfoS("Serving", "url", s.URL, "kubeconfig", s.AdminKubeconfig)
	if s.opts.ReleaseStartupMemory {
		go s.releaseStartupMemory(ctx)
	}
	return s.generic.PrepareRun().RunWithContext(ctx)
}

// buildAuthorization lets system:masters do anything and everyone else
// what RBAC grants, as kube-apiserver's default does.
func (s *Server) buildAuthorization() error {
	masters := authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)
	s.rbacResolver = rbac.NewResolverFromInformers(s.Informers.Rbac().V1())
	rbacAuthz := rbac.New(s.rbacResolver)
	authz, err := authzunion.New(
		authzunion.NamedAuthorizer{AuthorizerName: "system:masters", Authorizer: masters},
		authzunion.NamedAuthorizer{AuthorizerName: "rbac", Authorizer: rbacAuthz},
	)
	if err != nil {
		return err
	}
	s.authz, s.rules = authz, rbacAuthz
	return nil
}

// preventEscalation wraps the RBAC stores so that nobody grants, through a
// role or a binding, more than they hold, unless they may escalate or bind.
func (s *Server) preventEscalation(all apiStorage) {
	paths := all[rbacv1.SchemeGroupVersion]
	store := func(name string) *genericregistry.Store { return paths[name].(*REST).Store }
	paths["roles"] = escalationREST{escalation.NewRoleStorage(store("roles"), s.rbacResolver, s.authz)}
	paths["clusterroles"] = escalationREST{escalation.NewClusterRoleStorage(store("clusterroles"), s.rbacResolver, s.authz)}
	paths["rolebindings"] = escalationREST{escalation.NewRoleBindingStorage(store("rolebindings"), s.rbacResolver, s.authz)}
	paths["clusterrolebindings"] = escalationREST{escalation.NewClusterRoleBindingStorage(store("clusterrolebindings"), s.rbacResolver, s.authz)}
}

// addReviews adds the review APIs and serviceaccounts/token, which answer
// from the server's authenticator and authorizer rather than storage.
func (s *Server) addReviews(all apiStorage, tokenREST rest.Storage) error {
	if err := all.add(corev1.SchemeGroupVersion, map[string]rest.Storage{"serviceaccounts/token": tokenREST}); err != nil {
		return err
	}
	tokenReviews := reviews.TokenAuthenticatorRequest(s.authn.tokens)
	if err := all.add(authenticationv1.SchemeGroupVersion, reviews.AuthenticationStorage(tokenReviews, s.opts.apiAudiences())); err != nil {
		return err
	}
	return all.add(authorizationv1.SchemeGroupVersion, reviews.AuthorizationStorage(s.authz, s.rules))
}

// admission refuses writes into namespaces that do not exist or are being
// deleted, as kube-apiserver's NamespaceLifecycle does.
func (s *Server) admission() (admission.Interface, error) {
	immortal := sets.New(metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic)
	ns, err := lifecycle.NewLifecycle(immortal)
	if err != nil {
		return nil, err
	}
	ns.SetExternalKubeClientSet(s.Client)
	ns.SetExternalKubeInformerFactory(s.Informers)
	if err := ns.ValidateInitialization(); err != nil {
		return nil, err
	}
	return ns, nil
}

func (s *Server) addPostStartHooks() {
	s.generic.AddPostStartHookOrDie("start-aggkit-informers", func(ctx genericapiserver.PostStartHookContext) error {
		s.Informers.Start(ctx.Done())
		return nil
	})
	s.generic.AddPostStartHookOrDie("bootstrap-namespaces", func(ctx genericapiserver.PostStartHookContext) error {
		if err := retryUntilReady(ctx, "bootstrap-namespaces", s.ensureNamespaces); err != nil {
			return err
		}
		return retryUntilReady(ctx, "kubernetes-service", s.ensureKubernetesService)
	})
	s.generic.AddPostStartHookOrDie("default-serviceaccounts", func(ctx genericapiserver.PostStartHookContext) error {
		go s.runDefaultServiceAccounts(ctx)
		return nil
	})
	s.generic.AddPostStartHookOrDie("rbac/bootstrap-roles", func(ctx genericapiserver.PostStartHookContext) error {
		return retryUntilReady(ctx, "rbac/bootstrap-roles", func(ctx context.Context) error {
			return bootstrap.Ensure(ctx, s.Client)
		})
	})
	s.generic.AddPostStartHookOrDie("rbac/aggregate-cluster-roles", func(ctx genericapiserver.PostStartHookContext) error {
		controller, err := aggregation.NewController(s.Informers.Rbac().V1().ClusterRoles(), s.Client.RbacV1())
		if err != nil {
			return err
		}
		s.Informers.Start(ctx.Done())
		go controller.Run(ctx, 1)
		return nil
	})
	s.generic.AddPostStartHookOrDie(flowControlBootstrapHook, s.keepFlowControlBootstrap)
	s.generic.AddPostStartHookOrDie(localapis.PostStartHookName, localapis.PostStartHook(servedVersions()))
	s.generic.AddPostStartHookOrDie("namespace-deletion", func(ctx genericapiserver.PostStartHookContext) error {
		md, err := metadata.NewForConfig(s.LoopbackConfig)
		if err != nil {
			return err
		}
		controller := nsdelete.New(s.Client, md, s.Client.Discovery(), s.Informers.Core().V1().Namespaces())
		s.Informers.Start(ctx.Done())
		go controller.Run(ctx, 2)
		return nil
	})
	s.generic.AddPostStartHookOrDie("extension-apiserver-authentication", func(ctx genericapiserver.PostStartHookContext) error {
		go s.publishAuthenticationConfig(ctx)
		return nil
	})
}

// advertisedHost is the host a local client should dial.
func advertisedHost(o *Options) string {
	if ip := o.SecureServing.BindAddress; ip != nil && !ip.IsUnspecified() {
		return ip.String()
	}
	if o.AdvertiseAddress != nil {
		return o.AdvertiseAddress.String()
	}
	return "127.0.0.1"
}
