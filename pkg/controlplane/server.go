package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	apirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericfilters "k8s.io/apiserver/pkg/server/filters"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"
	basecompatibility "k8s.io/component-base/compatibility"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/aggregator"
	"github.com/aggkit/aggkit/pkg/aggregator/localapis"
	"github.com/aggkit/aggkit/pkg/controlplane/reviews"
	"github.com/aggkit/aggkit/pkg/etcd"
	"github.com/aggkit/aggkit/pkg/openapi"
	"github.com/aggkit/aggkit/pkg/rbac/bootstrap"
)

// kubernetesVersion is the Kubernetes minor whose API this control plane
// serves; it tracks the k8s.io/* modules in go.mod.
const kubernetesVersion = "1.37"

// Server is a running built-in control plane.
type Server struct {
	opts    *Options
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

	authn *authentication
	// aggregator is built before the generic server, whose filter chains
	// send requests for remote APIServices to its proxy (handlerChain).
	aggregator *aggregator.Aggregator
	// startupDone ends relaxGCForStartup (New starts it, Run ends it once
	// ready).
	startupDone func()
}

// New prepares the control plane: certificates, storage (starting embedded
// etcd unless --etcd-servers is given), authentication, authorization and
// every built-in API. Run starts serving.
//
// The order is what each step needs: storage and the loopback client give
// the shared dependencies (client, informers, authorizer); the stored
// resources need those (RBAC's escalation checks need the authorizer);
// authentication needs the service-account store; the reviews need
// authentication. Every informer is asked for here, before the one start.
func New(ctx context.Context, o *Options) (s *Server, err error) {
	if errs := o.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := o.ensurePKI(); err != nil {
		return nil, fmt.Errorf("certificates under %s: %w", o.DataDir, err)
	}
	s = &Server{opts: o, startupDone: func() {}}
	if o.ReleaseStartupMemory {
		s.startupDone = relaxGCForStartup()
		defer func() {
			if err != nil {
				s.startupDone()
			}
		}()
	}
	scheme, codecs := newScheme()

	cfg := genericapiserver.NewRecommendedConfig(codecs)
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
	if err := s.applyStorage(&cfg.Config, scheme, codecs); err != nil {
		return nil, err
	}

	// What every API and controller below is built from.
	deps, err := newDependencies(o, scheme, codecs, &cfg.Config, s.etcdServers())
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			deps.release()
		}
	}()
	s.LoopbackConfig, s.Client, s.Informers = deps.loopback, deps.client, deps.informers
	cfg.ClientConfig = deps.loopback
	// The generic server starts the factory in its post-start hook
	// generic-apiserver-start-informers, and /readyz waits for its caches.
	cfg.SharedInformerFactory = deps.informers
	cfg.Authorization.Authorizer, cfg.RuleResolver = deps.authz, deps.rules
	if o.EnablePriorityAndFairness {
		cfg.FlowControl = s.flowControl()
	}
	namer := openapinamer.NewDefinitionNamer(scheme)
	cfg.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIConfig.Info.Title = "aggkit"
	cfg.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIV3Config.Info.Title = "aggkit"
	// Built on first request, not in PrepareRun (openapi.Lazy).
	cfg.SkipOpenAPIInstallation = true
	openAPI := openapi.NewLazy(cfg.OpenAPIConfig, cfg.OpenAPIV3Config)
	if s.aggregator, err = aggregator.New(aggregator.Config{
		Codecs: codecs, LoopbackConfig: deps.loopback, KubeInformers: deps.informers,
		ProxyClientCertFile: o.ProxyClientCertFile, ProxyClientKeyFile: o.ProxyClientKeyFile,
		UsernameHeaders: o.RequestHeader.UsernameHeaders, GroupHeaders: o.RequestHeader.GroupHeaders,
		UIDHeaders: o.RequestHeader.UIDHeaders, ExtraHeaderPrefixes: o.RequestHeader.ExtraHeaderPrefixes,
		EndpointRouting: o.EnableAggregatorRouting, AvailabilityPeriod: o.AvailabilityPeriod,
		AvailabilityLease: o.AvailabilityLease, BuiltinOpenAPIV2: openAPI.BuiltinV2,
	}); err != nil {
		return nil, fmt.Errorf("aggregator: %w", err)
	}
	cfg.BuildHandlerChainFunc = handlerChain(s.aggregator.Proxy)

	stored, err := buildStoredResources(deps)
	if err != nil {
		return nil, err
	}
	saTokens, tokenREST, err := serviceAccountTokens(o, stored)
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
	reviewed, err := reviewStorage(deps, s.authn, tokenREST)
	if err != nil {
		return nil, err
	}

	if cfg.AdmissionControl, err = namespaceAdmission(deps); err != nil {
		return nil, err
	}
	controllers, err := newControllers(deps)
	if err != nil {
		return nil, err
	}

	if s.generic, err = cfg.Complete().New("aggkit", notFound(codecs)); err != nil {
		return nil, err
	}
	if err := installAPIs(s.generic, deps, stored, reviewed); err != nil {
		return nil, err
	}
	if err := s.aggregator.Install(s.generic); err != nil {
		return nil, fmt.Errorf("aggregator: %w", err)
	}
	openAPI.Install(s.generic)
	if err := deps.addTo(s.generic); err != nil {
		return nil, err
	}
	s.addPostStartHooks(controllers)
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
	defer s.startupDone()
	return s.generic.PrepareRun().RunWithContext(ctx)
}

// reviewStorage is the APIs that answer from the server's authenticator
// and authorizer rather than storage: serviceaccounts/token, TokenReview,
// SelfSubjectReview and the access reviews.
func reviewStorage(deps *dependencies, authn *authentication, tokenREST rest.Storage) (apiStorage, error) {
	all := apiStorage{}
	if err := all.add(corev1.SchemeGroupVersion, map[string]rest.Storage{"serviceaccounts/token": tokenREST}); err != nil {
		return nil, err
	}
	tokenReviews := reviews.TokenAuthenticatorRequest(authn.tokens)
	if err := all.add(authenticationv1.SchemeGroupVersion, reviews.AuthenticationStorage(tokenReviews, deps.opts.apiAudiences())); err != nil {
		return nil, err
	}
	if err := all.add(authorizationv1.SchemeGroupVersion, reviews.AuthorizationStorage(deps.authz, deps.rules)); err != nil {
		return nil, err
	}
	return all, nil
}

// namespaceAdmission refuses writes into namespaces that do not exist or are being
// deleted, as kube-apiserver's NamespaceLifecycle does.
func namespaceAdmission(deps *dependencies) (admission.Interface, error) {
	immortal := sets.New(metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic)
	ns, err := lifecycle.NewLifecycle(immortal)
	if err != nil {
		return nil, err
	}
	ns.SetExternalKubeClientSet(deps.client)
	ns.SetExternalKubeInformerFactory(deps.informers)
	if err := ns.ValidateInitialization(); err != nil {
		return nil, err
	}
	return ns, nil
}

// addPostStartHooks adds the bootstrap steps and runs the controllers
// (built in New, see newControllers) once the server serves.
func (s *Server) addPostStartHooks(controllers []controller) {
	for _, c := range controllers {
		s.generic.AddPostStartHookOrDie(c.name, func(ctx genericapiserver.PostStartHookContext) error {
			go c.run(ctx)
			return nil
		})
	}
	s.generic.AddPostStartHookOrDie("bootstrap-namespaces", func(ctx genericapiserver.PostStartHookContext) error {
		if err := retryUntilReady(ctx, "bootstrap-namespaces", s.ensureNamespaces); err != nil {
			return err
		}
		return retryUntilReady(ctx, "kubernetes-service", s.ensureKubernetesService)
	})
	s.generic.AddPostStartHookOrDie("rbac/bootstrap-roles", func(ctx genericapiserver.PostStartHookContext) error {
		return retryUntilReady(ctx, "rbac/bootstrap-roles", func(ctx context.Context) error {
			return bootstrap.Ensure(ctx, s.Client)
		})
	})
	s.generic.AddPostStartHookOrDie(flowControlBootstrapHook, s.keepFlowControlBootstrap)
	s.generic.AddPostStartHookOrDie(localapis.PostStartHookName, localapis.PostStartHook(servedVersions()))
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
