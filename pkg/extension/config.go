package extension

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	"k8s.io/apiserver/pkg/endpoints/openapi"
	"k8s.io/apiserver/pkg/registry/generic"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/apiserver/pkg/util/compatibility"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/etcd"
)

type genericRESTOptionsGetter = generic.RESTOptionsGetter

// config turns the options into k8s.io/apiserver's RecommendedConfig.
func (s *Server) config(o *Options, scheme *runtime.Scheme, codecs serializer.CodecFactory) (*genericapiserver.RecommendedConfig, error) {
	c := genericapiserver.NewRecommendedConfig(codecs)
	namer := openapi.NewDefinitionNamer(scheme)
	defs := s.openAPI
	if s.scaled() {
		defs = withScaleDefinitions(defs)
	}
	c.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(defs, namer)
	c.OpenAPIConfig.Info.Title = s.group
	c.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(defs, namer)
	c.OpenAPIV3Config.Info.Title = s.group
	c.EffectiveVersion = compatibility.DefaultBuildEffectiveVersion()
	c.FeatureGate = o.FeatureGate
	// No registry of its own for metrics: k8s.io/apiserver registers its
	// request, storage and etcd metrics once per process in legacyregistry,
	// so servers in one process share those series on /metrics.
	if err := o.Recommended.ApplyTo(c); err != nil {
		return nil, fmt.Errorf("extension server %s config: %w", s.group, err)
	}
	// Both CAs may come from kube-system/extension-apiserver-authentication,
	// loaded only once the server runs. Until the client CA is loaded a
	// client certificate is taken for system:anonymous; until the
	// requestheader CA is, so is the aggregator, whose first probe would be
	// refused (403). Each is checked on its own: their union being non-empty
	// says only that one of them is loaded.
	if ca := c.SecureServing.ClientCA; ca != nil {
		c.AddReadyzChecks(caLoadedCheck("client-ca", ca))
	}
	if rh := c.Authentication.RequestHeaderConfig; rh != nil && rh.CAContentProvider != nil {
		c.AddReadyzChecks(caLoadedCheck("requestheader-client-ca", rh.CAContentProvider))
	}
	if o.Recommended.Admission == nil && len(s.mutating)+len(s.validating) > 0 {
		c.AdmissionControl = admission.NewChainHandler(s.newHookPlugin())
	}
	return c, nil
}

// caLoadedCheck is a readyz check that fails until ca has content.
func caLoadedCheck(name string, ca dynamiccertificates.CAContentProvider) healthz.HealthChecker {
	return healthz.NamedCheck(name, func(*http.Request) error {
		if len(ca.CurrentCABundleContent()) == 0 {
			return fmt.Errorf("%s not loaded yet", ca.Name())
		}
		return nil
	})
}

// setUpStorage points the etcd options at --etcd-servers, or at an embedded
// etcd it starts; a server with only computed resources gets no etcd.
func (s *Server) setUpStorage(ctx context.Context, o *Options, codecs serializer.CodecFactory) (func(), error) {
	r := o.Recommended
	if !s.stored() {
		r.Etcd = nil
		return nil, nil
	}
	var storageGVs []schema.GroupVersion
	for _, k := range s.kinds {
		storageGVs = append(storageGVs, schema.GroupVersion{Group: s.group, Version: k.storeVersion})
	}
	// Each kind's store replaces this codec with one for its own storage
	// version (storageVersionGetter); this one only serves as a default.
	r.Etcd.StorageConfig.Codec = codecs.LegacyCodec(storageGVs...)
	r.Etcd.StorageConfig.EncodeVersioner = runtime.NewMultiGroupVersioner(storageGVs[0])
	if len(r.Etcd.StorageConfig.Transport.ServerList) > 0 {
		return nil, nil
	}
	dir, cleanup := o.DataDir, func() {}
	if o.InMemory {
		// A throw-away member in a temporary directory. pkg/etcd has no
		// no-fsync mode yet, so this is as durable (and as slow) as --data-dir
		// until it grows one.
		tmp, err := os.MkdirTemp("", "extension-etcd-")
		if err != nil {
			return nil, fmt.Errorf("in-memory store: %w", err)
		}
		dir, cleanup = tmp, func() {
			if err := os.RemoveAll(tmp); err != nil {
				klog.ErrorS(err, "Removing in-memory etcd data", "dir", tmp)
			}
		}
	}
	member, err := etcd.StartEmbedded(ctx, dir)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("extension server %s storage: %w", s.group, err)
	}
	r.Etcd.StorageConfig.Transport.ServerList = []string{member.ClientURL}
	return func() { member.Stop(); cleanup() }, nil
}

// setUpAdmission registers the user's hooks and keeps only the built-in
// plugins the main server can support: NamespaceLifecycle needs namespaces
// served by it; the webhook and policy plugins stay off unless enabled by
// flag, since they need admissionregistration on the main server.
func (s *Server) setUpAdmission(o *Options) error {
	a := o.Recommended.Admission
	if len(s.mutating)+len(s.validating) > 0 {
		s.registerAdmission(a.Plugins)
		a.RecommendedPluginOrder = append(a.RecommendedPluginOrder, pluginName)
	}
	for _, p := range a.RecommendedPluginOrder {
		if p != lifecycle.PluginName && p != pluginName {
			a.DefaultOffPlugins.Insert(p)
		}
	}
	if o.Recommended.CoreAPI == nil {
		// k8s.io/apiserver's admission options insist on core informers even
		// for plugins that need none; without a main server the chain is
		// just the user's hooks, installed in config.
		o.Recommended.Admission = nil
		return nil
	}
	served, err := servesNamespaces(o.Recommended.CoreAPI.CoreAPIKubeconfigPath)
	if err != nil {
		return err
	}
	if !served {
		klog.InfoS("Main API server does not serve namespaces; NamespaceLifecycle admission off", "group", s.group)
		a.DisablePlugins = append(a.DisablePlugins, lifecycle.PluginName)
	}
	return nil
}

// servesNamespaces asks the main API server's discovery whether it has
// namespaces.
func servesNamespaces(kubeconfig string) (bool, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return false, fmt.Errorf("main API server kubeconfig %q: %w", kubeconfig, err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return false, fmt.Errorf("main API server discovery: %w", err)
	}
	list, err := dc.ServerResourcesForGroupVersion("v1")
	if err != nil {
		return false, fmt.Errorf("main API server discovery of v1 at %s: %w", cfg.Host, err)
	}
	for _, r := range list.APIResources {
		if r.Name == "namespaces" {
			return true, nil
		}
	}
	return false, nil
}
