package controlplane

import (
	"fmt"
	"strings"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/apiservice"
)

// storageMediaType keeps objects in etcd as kube-apiserver does, so that
// tools which read etcd directly see the usual protobuf envelopes.
const storageMediaType = runtime.ContentTypeProtobuf

// servedVersions are every group/version this server serves.
func servedVersions() []schema.GroupVersion {
	gvs := []schema.GroupVersion{apiregistrationv1.SchemeGroupVersion}
	for _, g := range builtinGroups {
		gvs = append(gvs, g.version)
	}
	return gvs
}

// applyStorage points the generic config at etcd through a storage factory
// that encodes each group at its own version. (The simple factory has one
// codec for everything and breaks as soon as a second group appears.)
func (s *Server) applyStorage(cfg *genericapiserver.Config, scheme *runtime.Scheme, codecs serializer.CodecFactory) error {
	servers := s.etcdServers()
	etcdOpts := genericoptions.NewEtcdOptions(storagebackend.NewDefaultConfig(s.opts.Etcd.Prefix, nil))
	etcdOpts.StorageConfig.Transport.ServerList = servers
	etcdOpts.StorageConfig.Transport.TrustedCAFile = s.opts.Etcd.CAFile
	etcdOpts.StorageConfig.Transport.CertFile = s.opts.Etcd.CertFile
	etcdOpts.StorageConfig.Transport.KeyFile = s.opts.Etcd.KeyFile

	resources := serverstorage.NewResourceConfig()
	resources.EnableVersions(servedVersions()...)
	factory := serverstorage.NewDefaultStorageFactory(etcdOpts.StorageConfig, storageMediaType, codecs,
		serverstorage.NewDefaultResourceEncodingConfigForEffectiveVersion(scheme, cfg.EffectiveVersion), resources, nil)
	if err := etcdOpts.ApplyWithStorageFactoryTo(factory, cfg); err != nil {
		return fmt.Errorf("etcd %s: %w", strings.Join(servers, ","), err)
	}
	leader := &etcdLeaderCheck{endpoints: servers}
	if o := s.opts.Etcd; o.CAFile != "" || o.CertFile != "" {
		var err error
		if leader.tls, err = (transport.TLSInfo{CertFile: o.CertFile, KeyFile: o.KeyFile, TrustedCAFile: o.CAFile}).ClientConfig(); err != nil {
			return fmt.Errorf("etcd TLS: %w", err)
		}
	}
	cfg.RESTOptionsGetter = etcdErrorOptions{RESTOptionsGetter: cfg.RESTOptionsGetter, limit: s.etcdRequestLimit(),
		writeTimeout: s.opts.Etcd.WriteTimeout, leader: leader}
	return nil
}

// etcdRequestLimit describes the largest write etcd takes, for the 413
// that answers a larger one.
func (s *Server) etcdRequestLimit() string {
	if s.etcd != nil {
		return fmt.Sprintf("etcd takes at most %d bytes per write", int(embed.DefaultMaxRequestBytes))
	}
	return "etcd takes at most its --max-request-bytes per write (1.5 MiB unless changed)"
}

// etcdServers are the embedded member's URL or --etcd-servers.
func (s *Server) etcdServers() []string {
	if s.etcd != nil {
		return []string{s.etcd.ClientURL}
	}
	return s.opts.Etcd.Servers
}

// apiStorage collects REST storage by group/version and path.
type apiStorage map[schema.GroupVersion]map[string]rest.Storage

func (a apiStorage) add(gv schema.GroupVersion, paths map[string]rest.Storage) error {
	if a[gv] == nil {
		a[gv] = map[string]rest.Storage{}
	}
	for path, st := range paths {
		if _, dup := a[gv][path]; dup {
			return fmt.Errorf("%s %s installed twice", gv, path)
		}
		a[gv][path] = st
	}
	return nil
}

// buildStoredResources creates the etcd-backed storage of every built-in
// resource, each with its own wrap. It runs before the generic server
// exists: authentication needs the service-account store.
func buildStoredResources(deps *dependencies) (apiStorage, error) {
	all := apiStorage{}
	for _, def := range storedResources() {
		paths, err := def.storage(deps)
		if err != nil {
			return nil, err
		}
		if err := all.add(def.gv, paths); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// installAPIs installs every group from the storage of each part (stored
// resources, reviews), refusing a path two parts both serve: core v1 at
// /api, the rest at /apis, with the APIService registry.
func installAPIs(server *genericapiserver.GenericAPIServer, deps *dependencies, parts ...apiStorage) error {
	all := apiStorage{}
	for _, part := range parts {
		for gv, paths := range part {
			if err := all.add(gv, paths); err != nil {
				return err
			}
		}
	}
	var groups []*genericapiserver.APIGroupInfo
	for _, gv := range servedVersions() {
		paths := all[gv]
		if len(paths) == 0 {
			continue
		}
		info := genericapiserver.NewDefaultAPIGroupInfo(gv.Group, deps.scheme, runtime.NewParameterCodec(deps.scheme), deps.codecs)
		info.VersionedResourcesStorageMap[gv.Version] = paths
		if gv.Group == "" {
			if err := server.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, &info); err != nil {
				return fmt.Errorf("install %s: %w", gv, err)
			}
			continue
		}
		groups = append(groups, &info)
	}
	apiServices, err := apiservice.NewAPIGroupInfo(deps.scheme, deps.codecs, deps.restOptions)
	if err != nil {
		return err
	}
	withPatchErrors(apiServices.VersionedResourcesStorageMap[apiregistrationv1.SchemeGroupVersion.Version])
	return server.InstallAPIGroups(append(groups, apiServices)...)
}
