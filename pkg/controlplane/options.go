package controlplane

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/pflag"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"

	"github.com/aggkit/aggkit/pkg/controlplane/ipalloc"
	"github.com/aggkit/aggkit/pkg/etcd"
)

// Options configure `aggkit serve`. Flags keep kube-apiserver's names and
// meaning wherever kube-apiserver has the flag.
type Options struct {
	// DataDir holds the embedded etcd data, the generated PKI and
	// admin.kubeconfig.
	DataDir string
	// PKIDir, when set, holds the CAs and keys replicas share instead of
	// DataDir/pki (see ensurePKI).
	PKIDir           string
	AdvertiseAddress net.IP
	// ExtraSANs are added to the generated serving certificate.
	ExtraSANs []string

	SecureServing *genericoptions.SecureServingOptionsWithLoopback
	Etcd          etcd.Options

	ClientCAFile  string
	RequestHeader genericoptions.RequestHeaderAuthenticationOptions
	// ProxyClientCertFile and ProxyClientKeyFile are what the aggregator
	// presents to extension servers.
	ProxyClientCertFile string
	ProxyClientKeyFile  string
	TokenAuthFile       string
	AnonymousAuth       bool

	ServiceAccountKeyFiles           []string
	ServiceAccountSigningKeyFile     string
	ServiceAccountIssuer             string
	ServiceAccountMaxTokenExpiration time.Duration

	EnableAggregatorRouting bool
	// AvailabilityPeriod is how often remote APIServices are probed.
	AvailabilityPeriod time.Duration
	// AvailabilityLease makes replicas on one etcd elect, through a Lease,
	// the one that writes APIService status.
	AvailabilityLease bool
	RequestTimeout    time.Duration
	// MaxRequestsInFlight and MaxMutatingRequestsInFlight bound the
	// non-long-running requests served at once, built-in and proxied
	// together: their sum is priority and fairness's concurrency limit,
	// or without it each bounds its kind (0 is no limit).
	MaxRequestsInFlight         int
	MaxMutatingRequestsInFlight int
	// EnablePriorityAndFairness shares the in-flight budget out by the
	// stored FlowSchemas and PriorityLevelConfigurations, as
	// kube-apiserver's --enable-priority-and-fairness.
	EnablePriorityAndFairness bool

	// ReleaseStartupMemory gives back, once the server is ready, the heap
	// only start-up used (see releaseStartupMemory).
	ReleaseStartupMemory bool

	// ServiceClusterIPRange is the CIDR Services' cluster IPs come from.
	ServiceClusterIPRange string
	// ServiceNodePortRange is where NodePort and LoadBalancer Services'
	// node ports come from.
	ServiceNodePortRange utilnet.PortRange

	// FeatureGate is this control plane's own feature gates
	// (--feature-gates), copied from the process default, so that two
	// control planes in one process keep theirs. k8s.io/apiserver reads it
	// where it takes a gate; where it reads utilfeature.DefaultFeatureGate
	// itself, only the process-wide gate counts.
	FeatureGate featuregate.MutableVersionedFeatureGate
}

// NewOptions returns the defaults of `aggkit serve`.
func NewOptions() *Options {
	serving := genericoptions.NewSecureServingOptions()
	serving.BindAddress = net.ParseIP("127.0.0.1")
	serving.BindPort = 6443
	return &Options{
		SecureServing:                    serving.WithLoopback(),
		Etcd:                             etcd.Options{Prefix: "/registry", WriteTimeout: etcd.DefaultWriteTimeout},
		ServiceAccountIssuer:             "https://kubernetes.default.svc",
		ServiceAccountMaxTokenExpiration: 48 * time.Hour,
		// As kube-apiserver; anonymous callers reach only the health
		// checks and /version (see publicInfoAnonymous).
		AnonymousAuth: true,
		// Nothing here is a cluster: there is no kube-proxy to reach a
		// Service's clusterIP, so route to endpoints unless told otherwise.
		EnableAggregatorRouting: true,
		RequestTimeout:          60 * time.Second,
		AvailabilityPeriod:      10 * time.Second,
		ServiceClusterIPRange:   ipalloc.DefaultServiceClusterIPRange,
		ServiceNodePortRange:    ipalloc.DefaultServiceNodePortRange(),
		ReleaseStartupMemory:    true,
		// kube-apiserver's defaults.
		MaxRequestsInFlight:         400,
		MaxMutatingRequestsInFlight: 200,
		EnablePriorityAndFairness:   true,
		FeatureGate:                 utilfeature.DefaultMutableFeatureGate.DeepCopy(),
	}
}

// AddFlags registers every flag of `aggkit serve`.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir,
		"Directory for the embedded etcd data, generated certificates (pki/) and admin.kubeconfig. Created if missing; a restart reuses what is there.")
	fs.StringVar(&o.PKIDir, "pki-dir", o.PKIDir,
		"Directory for the CAs, the proxy client certificate and the service-account key that replicas share; generated there by the first replica to start, loaded by the others. Give every replica the same directory (mode 0700: it holds the CA keys). Each replica's serving and admin certificates stay under --data-dir/pki. Default: --data-dir/pki.")
	fs.IPVar(&o.AdvertiseAddress, "advertise-address", o.AdvertiseAddress,
		"The IP address on which to advertise the apiserver; added to the generated serving certificate.")
	fs.StringSliceVar(&o.ExtraSANs, "tls-sans", o.ExtraSANs,
		"Extra DNS names or IP addresses for the generated serving certificate (ignored with --tls-cert-file).")
	o.SecureServing.AddFlags(fs)
	// Serving certificates are generated under --data-dir/pki instead.
	_ = fs.MarkHidden("cert-dir")
	o.Etcd.AddFlags(fs)
	fs.StringVar(&o.ClientCAFile, "client-ca-file", o.ClientCAFile,
		"If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate. Generated under --data-dir when empty.")
	o.RequestHeader.AddFlags(fs)
	fs.StringVar(&o.ProxyClientCertFile, "proxy-client-cert-file", o.ProxyClientCertFile,
		"Client certificate used to prove the identity of the aggregator when it calls extension servers. Generated under --data-dir (signed by the requestheader CA) when empty.")
	fs.StringVar(&o.ProxyClientKeyFile, "proxy-client-key-file", o.ProxyClientKeyFile,
		"Private key for the client certificate in --proxy-client-cert-file.")
	fs.StringVar(&o.TokenAuthFile, "token-auth-file", o.TokenAuthFile,
		"If set, the file that will be used to secure the secure port of the API server via token authentication (CSV: token,user,uid,\"group1,group2\").")
	fs.BoolVar(&o.AnonymousAuth, "anonymous-auth", o.AnonymousAuth,
		"Enables anonymous requests to the secure port for /healthz, /livez, /readyz (and their named checks) and /version, which system:public-info-viewer grants. Requests there that are not rejected by another authentication method are treated as user system:anonymous in group system:unauthenticated; every other path answers 401 without credentials.")
	fs.StringSliceVar(&o.ServiceAccountKeyFiles, "service-account-key-file", o.ServiceAccountKeyFiles,
		"PEM-encoded public (or private) keys used to verify service account tokens. Defaults to the public half of --service-account-signing-key-file.")
	fs.StringVar(&o.ServiceAccountSigningKeyFile, "service-account-signing-key-file", o.ServiceAccountSigningKeyFile,
		"Private key used to sign service account tokens. Generated under --data-dir when empty.")
	fs.StringVar(&o.ServiceAccountIssuer, "service-account-issuer", o.ServiceAccountIssuer,
		"Identifier of the service account token issuer (the iss claim).")
	fs.DurationVar(&o.ServiceAccountMaxTokenExpiration, "service-account-max-token-expiration", o.ServiceAccountMaxTokenExpiration,
		"The maximum validity duration of a token created by the service account token issuer.")
	fs.BoolVar(&o.EnableAggregatorRouting, "enable-aggregator-routing", o.EnableAggregatorRouting,
		"Route aggregator requests to endpoint IPs rather than to the Service's cluster IP. On by default here, since a standalone aggkit has no kube-proxy.")
	fs.DurationVar(&o.AvailabilityPeriod, "apiservice-availability-period", o.AvailabilityPeriod,
		"How often every remote APIService's backend is probed for its Available condition; events (Service, endpoints, APIService changes) trigger a probe at once as well.")
	fs.BoolVar(&o.AvailabilityLease, "apiservice-availability-lease", o.AvailabilityLease,
		"Elect, through the Lease kube-system/aggkit-apiservice-availability, the one replica that writes APIServices' Available condition. Set it on every replica when several share one etcd, so that replicas with different views of a backend do not overwrite each other. If the writer dies, another replica takes over within about 3s (the lease lasts 2s and is renewed 5 times a second); a replica restarted on the same host and address takes its own lease back at once.")
	fs.DurationVar(&o.RequestTimeout, "request-timeout", o.RequestTimeout,
		"An optional field indicating the duration a handler must keep a request open before timing it out.")
	fs.IntVar(&o.MaxRequestsInFlight, "max-requests-inflight", o.MaxRequestsInFlight,
		"This and --max-mutating-requests-inflight are summed to determine the server's total concurrency limit, built-in and proxied requests together (which must be positive) if --enable-priority-and-fairness is true. Otherwise, the maximum number of non-mutating requests in flight at a given time, built-in and proxied together; when the server exceeds this, it rejects requests (429). Zero means no limit.")
	fs.IntVar(&o.MaxMutatingRequestsInFlight, "max-mutating-requests-inflight", o.MaxMutatingRequestsInFlight,
		"This and --max-requests-inflight are summed to determine the server's total concurrency limit, built-in and proxied requests together (which must be positive) if --enable-priority-and-fairness is true. Otherwise, the maximum number of mutating requests in flight at a given time, built-in and proxied together; when the server exceeds this, it rejects requests (429). Zero means no limit.")
	fs.BoolVar(&o.EnablePriorityAndFairness, "enable-priority-and-fairness", o.EnablePriorityAndFairness,
		"If true, replace the max-in-flight handler with an enhanced one that queues and dispatches with priority and fairness, by the stored FlowSchemas and PriorityLevelConfigurations (the suggested and mandatory ones are created at start), for built-in and proxied requests alike.")
	fs.StringVar(&o.ServiceClusterIPRange, "service-cluster-ip-range", o.ServiceClusterIPRange,
		"A CIDR notation IP range from which to assign service cluster IPs (one IPv4 or IPv6 CIDR; dual-stack is not supported). Its first usable address is kept for the default/kubernetes Service. Must not overlap with any IP ranges assigned to nodes or pods.")
	o.FeatureGate.AddFlag(fs)
	fs.Var(&o.ServiceNodePortRange, "service-node-port-range",
		"A port range to reserve for services with NodePort visibility. This must not overlap with the ephemeral port range on nodes. Example: '30000-32767'. Inclusive at both ends of the range.")
}

// Validate reports every flag error at once.
func (o *Options) Validate() []error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir is required"))
	}
	errs = append(errs, o.SecureServing.Validate()...)
	if o.SecureServing.BindPort <= 0 {
		errs = append(errs, fmt.Errorf("--secure-port must be a port number: aggkit serves only HTTPS"))
	}
	errs = append(errs, o.Etcd.Validate()...)
	errs = append(errs, o.RequestHeader.Validate()...)
	if (o.ProxyClientCertFile == "") != (o.ProxyClientKeyFile == "") {
		errs = append(errs, fmt.Errorf("--proxy-client-cert-file and --proxy-client-key-file go together"))
	}
	if _, err := ipalloc.ParseServiceCIDR(o.ServiceClusterIPRange); err != nil {
		errs = append(errs, fmt.Errorf("--service-cluster-ip-range: %w", err))
	}
	if o.ServiceNodePortRange.Size <= 0 {
		errs = append(errs, fmt.Errorf("--service-node-port-range must not be empty"))
	}
	if o.MaxRequestsInFlight < 0 || o.MaxMutatingRequestsInFlight < 0 {
		errs = append(errs, fmt.Errorf("--max-requests-inflight and --max-mutating-requests-inflight must not be negative"))
	} else if o.EnablePriorityAndFairness && o.MaxRequestsInFlight+o.MaxMutatingRequestsInFlight == 0 {
		errs = append(errs, fmt.Errorf("--max-requests-inflight plus --max-mutating-requests-inflight must be positive with --enable-priority-and-fairness"))
	}
	if o.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--request-timeout must be positive"))
	}
	return errs
}
