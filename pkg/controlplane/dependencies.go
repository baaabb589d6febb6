package controlplane

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authzunion "k8s.io/apiserver/pkg/authorization/union"
	"k8s.io/apiserver/pkg/registry/generic"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/rbac"
)

// dependencies are what the built-in APIs and controllers are assembled
// from. New builds them once, after storage and the loopback client are
// configured and before any API is built, and passes them to every builder.
type dependencies struct {
	opts   *Options
	scheme *runtime.Scheme
	codecs serializer.CodecFactory
	// restOptions reach etcd through the storage factory (applyStorage).
	restOptions generic.RESTOptionsGetter
	// etcdServers are the embedded member's URL or --etcd-servers.
	etcdServers []string
	// loopback is the privileged client configuration behind client.
	loopback *restclient.Config
	client   kubernetes.Interface
	// informers are shared by every controller, admission, authorization
	// and the aggregator. Each asks for its informers while New runs; the
	// generic server starts the factory once, in its post-start hook
	// generic-apiserver-start-informers (cfg.SharedInformerFactory).
	informers informers.SharedInformerFactory
	// authz is the server's authorizer: system:masters, then RBAC. rules
	// lists what RBAC grants a user (SelfSubjectRulesReview); rbacResolver
	// is the RBAC rule resolver the escalation checks compare against.
	authz        authorizer.Authorizer
	rules        authorizer.RuleResolver
	rbacResolver *rbac.Resolver

	// The generic server is built after the APIs' storage (authentication
	// needs the service-account store), so what storage asks of it waits
	// here until New adds it (serverHooks.addTo).
	serverHooks
}

// newDependencies builds the client, the shared informers and the
// authorizer over them. Authorization needs only the informers, so it is
// ready before any storage, and the RBAC stores can guard against
// escalation as they are built.
func newDependencies(o *Options, scheme *runtime.Scheme, codecs serializer.CodecFactory, cfg *genericapiserver.Config, etcdServers []string) (*dependencies, error) {
	client, err := kubernetes.NewForConfig(cfg.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	d := &dependencies{
		opts: o, scheme: scheme, codecs: codecs,
		restOptions: cfg.RESTOptionsGetter, etcdServers: etcdServers,
		loopback: cfg.LoopbackClientConfig, client: client,
		informers: informers.NewSharedInformerFactory(client, 0),
	}
	if err := d.buildAuthorization(); err != nil {
		return nil, fmt.Errorf("authorization: %w", err)
	}
	return d, nil
}

// buildAuthorization lets system:masters do anything and everyone else
// what RBAC grants, as kube-apiserver's default does.
func (d *dependencies) buildAuthorization() error {
	masters := authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)
	d.rbacResolver = rbac.NewResolverFromInformers(d.informers.Rbac().V1())
	rbacAuthz := rbac.New(d.rbacResolver)
	authz, err := authzunion.New(
		authzunion.NamedAuthorizer{AuthorizerName: "system:masters", Authorizer: masters},
		authzunion.NamedAuthorizer{AuthorizerName: "rbac", Authorizer: rbacAuthz},
	)
	if err != nil {
		return err
	}
	d.authz, d.rules = authz, rbacAuthz
	return nil
}

// serverHooks collects post-start hooks and destroy functions asked for
// before the generic server exists.
type serverHooks struct {
	postStart []namedHook
	destroy   []func()
}

type namedHook struct {
	name string
	hook genericapiserver.PostStartHookFunc
}

// addPostStartHook runs hook once the server serves, under name in
// /readyz and /healthz.
func (h *serverHooks) addPostStartHook(name string, hook genericapiserver.PostStartHookFunc) {
	h.postStart = append(h.postStart, namedHook{name, hook})
}

// onDestroy runs fn when the server is destroyed, or when New fails after
// asking for it.
func (h *serverHooks) onDestroy(fn func()) { h.destroy = append(h.destroy, fn) }

// addTo hands the collected hooks to server.
func (h *serverHooks) addTo(server *genericapiserver.GenericAPIServer) error {
	for _, fn := range h.destroy {
		server.RegisterDestroyFunc(fn)
	}
	for _, named := range h.postStart {
		if err := server.AddPostStartHook(named.name, named.hook); err != nil {
			return err
		}
	}
	return nil
}

// release runs the destroy functions of a server that will never run.
func (h *serverHooks) release() {
	for _, fn := range h.destroy {
		fn()
	}
}
