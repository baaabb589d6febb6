package extension

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"
	"k8s.io/klog/v2"
	openapicommon "k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Server builds and runs an extension API server for one API group. Build
// it with New and the With* methods, then call Run, Execute or Command. A
// Server holds all its state; several can run in one process.
type Server struct {
	group          string
	kinds          []*kind
	byName         map[string]*kind
	storageVersion string
	openAPI        openapicommon.GetOpenAPIDefinitions
	mutating       []AdmitFunc
	validating     []AdmitFunc
	errs           []error
	options        *Options

	// Set by Run.
	scheme   *runtime.Scheme
	storages map[string]rest.Storage
}

// New starts a server for the API group, e.g. "wardle.example.com".
func New(group string) *Server {
	return &Server{group: group, byName: map[string]*kind{}, options: newOptions(group)}
}

// WithResource serves a Go type as a stored resource: create, get, list,
// watch, update, patch (including server-side apply), delete, table output
// and discovery, in the type's version. Register each version of a kind; the
// resource's optional interfaces (ClusterScoped, Defaulter, CreateValidator,
// StatusSubresource, Printer, ...) add behaviour. It stands for a
// k8s.io/apiserver generic registry Store with a strategy built from those
// interfaces.
func (s *Server) WithResource(obj Object) *Server {
	s.add(obj, nil)
	return s
}

// WithComputedResource serves a Go type whose objects are computed on
// request by c (get and list), like metrics-server's resources. A server with
// only computed resources runs without etcd and has no etcd flags.
func (s *Server) WithComputedResource(obj Object, c Computed) *Server {
	s.add(obj, &c)
	return s
}

// WithStorageVersion stores every kind that has this version in it; other
// kinds are stored in their hub version (the default for all).
func (s *Server) WithStorageVersion(version string) *Server {
	s.storageVersion = version
	return s
}

// WithOpenAPIDefinitions supplies the openapi-gen output for the types,
// which the server needs for /openapi/v2, /openapi/v3, `kubectl explain` and
// server-side apply. Run fails without it.
func (s *Server) WithOpenAPIDefinitions(defs openapicommon.GetOpenAPIDefinitions) *Server {
	s.openAPI = defs
	return s
}

// WithAdmission adds a validating admission hook, which sees every create,
// update and delete of the group's resources after mutation and may deny it.
func (s *Server) WithAdmission(fn AdmitFunc) *Server {
	s.validating = append(s.validating, fn)
	return s
}

// WithMutatingAdmission adds a mutating admission hook, which may change
// req.Object before validation and storage, or deny the request.
func (s *Server) WithMutatingAdmission(fn AdmitFunc) *Server {
	s.mutating = append(s.mutating, fn)
	return s
}

// Options returns the settings that flags bind to; change them before Run
// to configure a server from code (tests do).
func (s *Server) Options() *Options { return s.options }

func (s *Server) add(obj Object, c *Computed) {
	name, ver, err := kindOf(obj)
	if err != nil {
		s.errs = append(s.errs, err)
		return
	}
	k, ok := s.byName[name]
	if !ok {
		k = &kind{group: s.group, name: name, versions: map[string]Object{}}
		s.byName[name] = k
		s.kinds = append(s.kinds, k)
	}
	if _, dup := k.versions[ver]; dup {
		s.errs = append(s.errs, fmt.Errorf("kind %s version %s registered twice", name, ver))
		return
	}
	if (k.computed != nil) != (c != nil) && len(k.versions) > 0 {
		s.errs = append(s.errs, fmt.Errorf("kind %s: every version must be either stored or computed", name))
	}
	k.versions[ver] = obj
	if c != nil {
		k.computed = c
	}
}

func (s *Server) stored() bool {
	for _, k := range s.kinds {
		if k.computed == nil {
			return true
		}
	}
	return false
}

// Command returns a cobra command that parses the standard flags and runs
// the server until interrupted.
func (s *Server) Command() *cobra.Command {
	cmd := &cobra.Command{
		Use:          strings.SplitN(s.group, ".", 2)[0] + "-apiserver",
		Short:        "Serve the " + s.group + " API",
		SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return s.Run(c.Context())
		},
	}
	s.options.addFlags(cmd.Flags(), s.stored())
	return cmd
}

// Execute runs Command with a context cancelled by SIGINT/SIGTERM and exits
// the process with its result: the one call a main needs.
func (s *Server) Execute() {
	cmd := s.Command()
	cmd.SetContext(genericapiserver.SetupSignalContext())
	os.Exit(cli.Run(cmd))
}

// Run starts the server and serves until ctx is cancelled.
func (s *Server) Run(ctx context.Context) error {
	prepared, cleanup, err := s.prepare(ctx)
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		return err
	}
	return prepared.PrepareRun().RunWithContext(ctx)
}

// finish checks the registered resources once all With* calls are done.
func (s *Server) finish() error {
	if len(s.kinds) == 0 {
		s.errs = append(s.errs, fmt.Errorf("no resources: add some with WithResource"))
	}
	for _, k := range s.kinds {
		if err := k.finish(s.storageVersion); err != nil {
			s.errs = append(s.errs, err)
		}
	}
	if err := errors.Join(s.errs...); err != nil {
		return fmt.Errorf("extension server %s: %w", s.group, err)
	}
	return nil
}

// prepare builds everything up to a server ready to run.
func (s *Server) prepare(ctx context.Context) (*genericapiserver.GenericAPIServer, func(), error) {
	var none *genericapiserver.GenericAPIServer
	if err := s.finish(); err != nil {
		return none, nil, err
	}
	scheme, err := buildScheme(s.group, s.kinds)
	if err != nil {
		return none, nil, err
	}
	s.scheme = scheme
	codecs := serializer.NewCodecFactory(scheme)
	if err := s.checkOpenAPI(); err != nil {
		return none, nil, err
	}

	o := s.options
	o.complete()
	if err := o.validate(); err != nil {
		return none, nil, err
	}
	cleanup, err := s.setUpStorage(ctx, o, codecs)
	if err != nil {
		return none, cleanup, err
	}
	if err := s.setUpAdmission(o); err != nil {
		return none, cleanup, err
	}
	if errs := o.Recommended.Validate(); len(errs) > 0 {
		return none, cleanup, fmt.Errorf("extension server %s options: %w", s.group, errors.Join(errs...))
	}
	if err := o.Recommended.SecureServing.MaybeDefaultWithSelfSignedCerts("localhost", nil, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
		return none, cleanup, fmt.Errorf("generate serving certificate: %w", err)
	}

	config, err := s.config(o, scheme, codecs)
	if err != nil {
		return none, cleanup, err
	}
	generic, err := config.Complete().New(s.group, genericapiserver.NewEmptyDelegate())
	if err != nil {
		return none, cleanup, fmt.Errorf("extension server %s: %w", s.group, err)
	}
	if err := s.install(generic, config.RESTOptionsGetter, scheme, codecs); err != nil {
		return none, cleanup, err
	}
	if informers := config.SharedInformerFactory; informers != nil {
		generic.AddPostStartHookOrDie("start-extension-informers", func(hc genericapiserver.PostStartHookContext) error {
			informers.Start(hc.Done())
			return nil
		})
	}
	klog.InfoS("Extension API server prepared", "group", s.group, "resources", s.resourceNames())
	return generic, cleanup, nil
}

// install builds the REST storage of every resource and installs the group.
func (s *Server) install(generic *genericapiserver.GenericAPIServer, getter genericRESTOptionsGetter, scheme *runtime.Scheme, codecs serializer.CodecFactory) error {
	info := genericapiserver.NewDefaultAPIGroupInfo(s.group, scheme, metav1.ParameterCodec, codecs)
	s.storages = map[string]rest.Storage{}
	for _, k := range s.kinds {
		var main rest.Storage
		var status, scale rest.Storage
		if k.computed != nil {
			main = newComputedREST(k)
		} else {
			st, err := newStore(k, scheme, codecs, getter)
			if err != nil {
				return err
			}
			main = st
			if _, ok := k.hub().(StatusSubresource); ok {
				status = newStatusREST(st)
			}
			if _, ok := k.hub().(ScaleSubresource); ok {
				scale = newScaleREST(st)
			}
		}
		s.storages[k.name] = main
		for v := range k.versions {
			m := info.VersionedResourcesStorageMap[v]
			if m == nil {
				m = map[string]rest.Storage{}
				info.VersionedResourcesStorageMap[v] = m
			}
			m[k.resource] = main
			if status != nil {
				m[k.resource+"/status"] = status
			}
			if scale != nil {
				m[k.resource+"/scale"] = scale
			}
		}
	}
	if err := generic.InstallAPIGroup(&info); err != nil {
		return fmt.Errorf("install API group %s: %w", s.group, err)
	}
	return nil
}

func (s *Server) resourceNames() []string {
	var names []string
	for _, k := range s.kinds {
		names = append(names, fmt.Sprintf("%s(%s)", k.resource, strings.Join(k.versionList(), ",")))
	}
	return names
}

// checkOpenAPI fails fast when the generated definitions are missing or do
// not cover a type: without them there is no server-side apply, no
// `kubectl explain`, and k8s.io/apiserver would only fail later, obscurely.
func (s *Server) checkOpenAPI() error {
	const howTo = "generate them with openapi-gen (in this repository: `go run ./hack/codegen`) and pass the generated GetOpenAPIDefinitions to WithOpenAPIDefinitions"
	if s.openAPI == nil {
		return fmt.Errorf("extension server %s: no OpenAPI definitions; %s", s.group, howTo)
	}
	defs := s.openAPI(func(path string) spec.Ref { return spec.Ref{} })
	for _, k := range s.kinds {
		for _, obj := range k.versions {
			for _, o := range []runtime.Object{obj, obj.NewList()} {
				named, ok := o.(interface{ OpenAPIModelName() string })
				if !ok {
					return fmt.Errorf("extension server %s: %T has no OpenAPIModelName method; add a +k8s:openapi-model-package=<reversed group>.<version> tag to its package doc and %s", s.group, o, howTo)
				}
				name := named.OpenAPIModelName()
				if _, ok := defs[name]; !ok {
					return fmt.Errorf("extension server %s: no OpenAPI definition for %s; %s", s.group, name, howTo)
				}
			}
		}
	}
	return nil
}
