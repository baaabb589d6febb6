package doctor

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

// Option changes how Run checks.
type Option func(*options)

type options struct {
	serviceAccount *serviceAccountRef
	dialTimeout    time.Duration
}

// WithServiceAccount names the ServiceAccount the extension server runs as,
// for the identity link, instead of finding it from the cluster.
func WithServiceAccount(namespace, name string) Option {
	return func(o *options) { o.serviceAccount = &serviceAccountRef{Namespace: namespace, Name: name} }
}

// WithDialTimeout bounds the TCP connect and TLS handshake to each endpoint
// (default 3s). An endpoint that does not answer in time is reported as not
// reachable from here and skipped.
func WithDialTimeout(d time.Duration) Option {
	return func(o *options) { o.dialTimeout = d }
}

// Run checks the chain of apiService, or of every APIService that has
// spec.service when apiService is empty, writing what it finds to out as
// it goes. A broken link is not an error: it is in the Report (Report.OK).
// The error is for what stopped doctor from checking at all, such as an
// unreachable control plane.
func Run(ctx context.Context, cfg *rest.Config, apiService string, out io.Writer, opts ...Option) (Report, error) {
	o := options{dialTimeout: 3 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	cfg = rest.CopyConfig(cfg)
	// doctor reads deprecated kinds (v1 Endpoints) on purpose, and many
	// objects in a row: no warnings in its output, no client throttling.
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.QPS, cfg.Burst = 100, 200
	core, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Report{}, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	aggregator, err := aggregatorclient.NewForConfig(cfg)
	if err != nil {
		return Report{}, fmt.Errorf("APIService client for %s: %w", cfg.Host, err)
	}
	d := &doctor{core: core, apiServices: aggregator.ApiregistrationV1().APIServices(), opts: o}

	names := []string{apiService}
	if apiService == "" {
		if names, err = d.remoteAPIServiceNames(ctx); err != nil {
			return Report{}, err
		}
	}
	var report Report
	for i, name := range names {
		if i > 0 {
			fmt.Fprintln(out)
		}
		printHeader(out, name)
		r := d.walk(ctx, name, out)
		r.Traffic = d.printTraffic(ctx, name, out)
		report.APIServices = append(report.APIServices, r)
	}
	if len(names) == 0 {
		fmt.Fprintln(out, "no APIService has spec.service: nothing is aggregated")
	} else {
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out, report.Summary())
	return report, nil
}

// doctor holds the clients of one run.
type doctor struct {
	core        kubernetes.Interface
	apiServices apiServiceClient
	opts        options
}

type apiServiceClient interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*apiregistrationv1.APIService, error)
	List(ctx context.Context, opts metav1.ListOptions) (*apiregistrationv1.APIServiceList, error)
}

// remoteAPIServiceNames lists the APIServices served by a backend, sorted.
func (d *doctor) remoteAPIServiceNames(ctx context.Context) ([]string, error) {
	list, err := d.apiServices.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list APIServices: %w", err)
	}
	var names []string
	for _, a := range list.Items {
		if a.Spec.Service != nil {
			names = append(names, a.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// target is what the links learn about one APIService, for the next links.
type target struct {
	apiService *apiregistrationv1.APIService
	// available is the Available condition, nil when not yet set.
	available *apiregistrationv1.APIServiceCondition
	service   *corev1.Service
	// servicePort is the Service port the APIService names.
	servicePort corev1.ServicePort
	// addrs are the ready endpoints, host:port.
	addrs []string
}

// link is one step of the walk.
type link struct {
	name Link
	run  func(ctx context.Context, t *target) Check
	// independent links are checked even after an earlier link failed.
	independent bool
}

// walk checks one APIService's links in order, printing each.
func (d *doctor) walk(ctx context.Context, name string, out io.Writer) APIServiceReport {
	links := []link{
		{name: LinkService, run: d.checkService},
		{name: LinkEndpoints, run: d.checkEndpoints},
		{name: LinkTLS, run: d.checkTLS},
		{name: LinkAggregator, run: d.checkAggregatorClient},
		{name: LinkDiscovery, run: d.checkDiscovery},
		{name: LinkIdentity, run: d.checkIdentity, independent: true},
	}
	report := APIServiceReport{Name: name}
	record := func(c Check) {
		report.Checks = append(report.Checks, c)
		printCheck(out, c)
	}

	t := &target{}
	first := d.checkAPIService(ctx, name, t)
	record(first)
	if first.Status != StatusOK {
		for _, l := range links {
			record(Check{Link: l.name, Status: StatusSkip, Message: "not checked: the APIService is not there"})
		}
		return report
	}
	if t.apiService.Spec.Service == nil {
		for _, l := range links {
			record(Check{Link: l.name, Status: StatusSkip, Message: "not checked: a local APIService is served by the control plane itself"})
		}
		return report
	}
	var broken *Link
	for _, l := range links {
		if broken != nil && !l.independent {
			record(Check{Link: l.name, Status: StatusSkip, Message: fmt.Sprintf("not checked: %s is broken", *broken)})
			continue
		}
		c := l.run(ctx, t)
		c.Link = l.name
		record(c)
		if c.Status == StatusFail && broken == nil {
			broken = &l.name
		}
	}
	return report
}

// apiServicePort is spec.service.port, defaulted as the API does.
func apiServicePort(a *apiregistrationv1.APIService) int32 {
	return resolve.APIServicePort(a.Spec.Service)
}

// serverName is the name the aggregator verifies the backend's serving
// certificate for.
func serverName(a *apiregistrationv1.APIService) string {
	return a.Spec.Service.Name + "." + a.Spec.Service.Namespace + ".svc"
}

func ok(format string, args ...any) Check {
	return Check{Status: StatusOK, Message: fmt.Sprintf(format, args...)}
}

func skip(format string, args ...any) Check {
	return Check{Status: StatusSkip, Message: fmt.Sprintf(format, args...)}
}

func fail(message, fix string) Check {
	return Check{Status: StatusFail, Message: message, Fix: fix}
}
