package extension

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"
)

// Options are the server's command-line settings. The Kubernetes ones keep
// kube-apiserver's flag names and meaning: --secure-port, --tls-cert-file,
// --tls-private-key-file, --cert-dir, --kubeconfig,
// --authentication-kubeconfig, --authorization-kubeconfig, --client-ca-file,
// --requestheader-*, --etcd-servers, --etcd-cafile, --etcd-certfile,
// --etcd-keyfile, --etcd-prefix, --enable-admission-plugins, ...
type Options struct {
	// Recommended is k8s.io/apiserver's option set for extension servers;
	// reach into it for anything not exposed by the builder.
	Recommended *genericoptions.RecommendedOptions
	// DataDir is where the embedded etcd keeps data when no --etcd-servers
	// are given (--data-dir).
	DataDir string
	// InMemory keeps data in a temporary embedded etcd that is removed when
	// the server stops (--in-memory); for tests and demos.
	InMemory bool
	// Standalone runs without a main API server (--standalone): clients
	// authenticate by --client-ca-file only, only system:masters is
	// authorized, and namespace lifecycle admission is off. For local
	// development and tests; never in a cluster.
	Standalone bool
	// FeatureGate is this server's own feature gates (--feature-gates),
	// copied from the process default: two servers in one process each keep
	// theirs. k8s.io/apiserver reads it where it takes a gate (the handler
	// chain); where it still reads utilfeature.DefaultFeatureGate, only the
	// process-wide gate counts.
	FeatureGate featuregate.MutableVersionedFeatureGate
}

func newOptions(group string) *Options {
	o := &Options{
		Recommended: genericoptions.NewRecommendedOptions("/registry/"+group, nil),
		DataDir:     group + ".data",
		FeatureGate: utilfeature.DefaultMutableFeatureGate.DeepCopy(),
	}
	o.Recommended.SecureServing.BindPort = 8443
	o.Recommended.SecureServing.ServerCert.CertDirectory = ""
	// Priority and fairness needs the flowcontrol API on the main server;
	// not every main server (aggkit serve, kind without it) has it.
	o.Recommended.Features.EnablePriorityAndFairness = false
	return o
}

// addFlags binds the options; the etcd flags only when something is stored.
func (o *Options) addFlags(fs *pflag.FlagSet, stored bool) {
	r := o.Recommended
	if stored {
		r.Etcd.AddFlags(fs)
		fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "Directory of the embedded etcd, used when --etcd-servers is empty.")
		fs.BoolVar(&o.InMemory, "in-memory", o.InMemory, "Keep data in a temporary embedded etcd removed at exit (tests, demos).")
	}
	r.SecureServing.AddFlags(fs)
	r.Authentication.AddFlags(fs)
	r.Authorization.AddFlags(fs)
	r.Audit.AddFlags(fs)
	r.Features.AddFlags(fs)
	r.CoreAPI.AddFlags(fs)
	r.Admission.AddFlags(fs)
	r.EgressSelector.AddFlags(fs)
	r.Traces.AddFlags(fs)
	o.FeatureGate.AddFlag(fs)
	fs.BoolVar(&o.Standalone, "standalone", o.Standalone, "Run without a main API server: authenticate by --client-ca-file only and authorize only system:masters. Local development only.")
}

// complete fills defaults that depend on other settings.
func (o *Options) complete() {
	r := o.Recommended
	kubeconfig := r.CoreAPI.CoreAPIKubeconfigPath
	if kubeconfig == "" {
		kubeconfig = os.Getenv("KUBECONFIG")
	}
	// One kubeconfig is enough to talk to the main server for everything.
	if r.Authentication.RemoteKubeConfigFile == "" {
		r.Authentication.RemoteKubeConfigFile = kubeconfig
	}
	if r.Authorization.RemoteKubeConfigFile == "" {
		r.Authorization.RemoteKubeConfigFile = kubeconfig
	}
	if o.Standalone {
		r.Authentication.RemoteKubeConfigFile = ""
		r.Authentication.RemoteKubeConfigFileOptional = true
		r.Authentication.SkipInClusterLookup = true
		r.Authorization.RemoteKubeConfigFile = ""
		r.Authorization.RemoteKubeConfigFileOptional = true
		r.CoreAPI = nil
	}
}

func (o *Options) validate() error {
	if o.Standalone && o.Recommended.Authentication.ClientCert.ClientCA == "" {
		return fmt.Errorf("--standalone needs --client-ca-file: without a main API server, client certificates are the only way to authenticate")
	}
	return nil
}
