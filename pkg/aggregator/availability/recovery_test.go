package availability

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/client-go/tools/cache"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
)

var recoveryOutages = flag.String("recovery-outages", "1s,5s",
	"outages TestRecoveryAfterOutage kills the backends for, e.g. -recovery-outages=1s,30s,2m,10m")

// After an outage of any length, a backend that listens again on its
// address must make the APIService Available, and proxied requests succeed,
// within a second (issue 9: kube-apiserver takes 0.40-0.57 s; aggkit took
// 2.5-6.0 s). The backends are real TLS servers killed by closing their
// listener and connections, as a SIGKILL does, and started again on the
// same address; real proxied traffic runs throughout. The timings are
// printed, not asserted: only recovery itself must always happen.
func TestRecoveryAfterOutage(t *testing.T) {
	var outages []time.Duration
	for _, s := range strings.Split(*recoveryOutages, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("-recovery-outages: %v", err)
		}
		outages = append(outages, d)
	}
	var table strings.Builder
	w := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "outage\tendpoints\tback\tready -> Available\tready -> proxied 200\tprobes/s per dead address\t")
	for _, outage := range outages {
		for _, endpoints := range []int{1, 3} {
			r := measureRecovery(t, outage, endpoints)
			fmt.Fprintf(w, "%v\t%d\t1\t%v\t%v\t%.1f\t\n", outage, endpoints,
				r.available.Round(time.Millisecond), r.proxied.Round(time.Millisecond), r.probeRate)
		}
	}
	_ = w.Flush()
	t.Logf("recovery after an outage (kube-apiserver: 0.40-0.57 s; target < 1 s):\n%s", table.String())
}

type recovery struct {
	available, proxied time.Duration
	probeRate          float64 // probe requests per second to each dead address
}

// measureRecovery kills every backend, waits outage, starts the first one
// again and measures from the moment it listens.
func measureRecovery(t *testing.T, outage time.Duration, endpoints int) recovery {
	p := newPKI(t)
	backends := make([]*restartableBackend, endpoints)
	addrs := make([]string, endpoints)
	for i := range backends {
		backends[i] = startRestartable(t, backendTLS(t, p, p.ca))
		addrs[i] = backends[i].addr
	}
	svc := apiService(p.ca.CertPEM())
	objs := append([]runtime.Object{service(443)}, endpointSlicesAt(t, true, addrs...)...)
	f := newFixture(t, p, Config{}, []runtime.Object{svc}, objs...)
	probes := &countingTransports{inner: f.controller.transports, counts: map[string]int{}}
	f.controller.transports = probes
	proxied := proxyFor(t, f)
	f.start(2)
	eventually(t, 20*time.Second, "Available=True", f.availableIs(apiregistrationv1.ConditionTrue))
	eventually(t, 20*time.Second, "a proxied request succeeds", proxied)

	killed := time.Now()
	for _, b := range backends {
		b.kill()
	}
	// Real traffic during the outage, so the proxy's failing marks are real.
	stopTraffic := make(chan struct{})
	var traffic sync.WaitGroup
	traffic.Go(func() {
		for {
			select {
			case <-stopTraffic:
				return
			case <-time.After(20 * time.Millisecond):
				proxied()
			}
		}
	})
	eventually(t, 30*time.Second, "Available=False after the kill", f.availableIs(apiregistrationv1.ConditionFalse))
	down := time.Now()
	before := probes.count(addrs[0])
	time.Sleep(time.Until(killed.Add(outage)))
	rate := float64(probes.count(addrs[0])-before) / time.Since(down).Seconds()
	close(stopTraffic)
	traffic.Wait()

	backends[0].start()
	ready := time.Now()
	var r recovery
	r.probeRate = rate
	for r.available == 0 || r.proxied == 0 {
		if time.Since(ready) > 60*time.Second {
			t.Fatalf("%v outage, %d endpoints: not recovered 60s after the backend listened again (Available after %v, proxied after %v)",
				outage, endpoints, r.available, r.proxied)
		}
		if r.available == 0 && f.availableIs(apiregistrationv1.ConditionTrue)() {
			r.available = time.Since(ready)
		}
		if r.proxied == 0 && proxied() {
			r.proxied = time.Since(ready)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return r
}

// proxyFor builds the proxy handler the server would, over the fixture's
// resolver, transports and APIService informer, and returns a function
// that sends one proxied GET through it and reports whether it got a 200.
func proxyFor(t *testing.T, f *fixture) func() bool {
	t.Helper()
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	h := proxy.NewHandler(proxy.Config{
		Resolver:   f.controller.resolver,
		Transports: f.controller.transports.(*countingTransports).inner.(*backend.Transports),
		Serializer: serializer.NewCodecFactory(scheme),
	})
	update := func(obj any) {
		if s, ok := obj.(*apiregistrationv1.APIService); ok {
			h.UpdateAPIService(s)
		}
	}
	if _, err := f.aggInformer.Apiregistration().V1().APIServices().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: update, UpdateFunc: func(_, obj any) { update(obj) },
	}); err != nil {
		t.Fatal(err)
	}
	caller := &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}
	return func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req := httptest.NewRequest(http.MethodGet, discoveryURLPath+"/namespaces/default/flunders", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(request.WithUser(ctx, caller)))
		return rec.Code == http.StatusOK
	}
}

// restartableBackend is a TLS backend at a fixed address that can be killed
// and started again there. It answers 200 to every path of the test group.
type restartableBackend struct {
	t    *testing.T
	addr string
	tls  *tls.Config
	srv  *http.Server
}

func startRestartable(t *testing.T, config *tls.Config) *restartableBackend {
	b := &restartableBackend{t: t, addr: "127.0.0.1:0", tls: config}
	b.start()
	t.Cleanup(b.kill)
	return b
}

// start listens on the address again; the old socket may linger briefly.
func (b *restartableBackend) start() {
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", b.addr); !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	b.addr = ln.Addr().String()
	b.srv = &http.Server{TLSConfig: b.tls.Clone(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, discoveryURLPath) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"` + testGroup + "/" + testVersion + `","resources":[]}`))
	})}
	go func() { _ = b.srv.ServeTLS(ln, "", "") }()
}

// kill closes the listener and every connection at once, as a SIGKILL does.
func (b *restartableBackend) kill() {
	if b.srv != nil {
		_ = b.srv.Close()
	}
}

// countingTransports counts the probe requests sent to each address.
type countingTransports struct {
	inner  TransportSource
	mu     sync.Mutex
	counts map[string]int
}

func (c *countingTransports) For(s *apiregistrationv1.APIService) (*backend.Transport, error) {
	t, err := c.inner.For(s)
	if err != nil {
		return nil, err
	}
	counted := *t
	counted.RoundTripper = countingRoundTripper{c, t.RoundTripper}
	if t.UpgradeRoundTripper != nil {
		counted.UpgradeRoundTripper = countingRoundTripper{c, t.UpgradeRoundTripper}
	}
	return &counted, nil
}

func (c *countingTransports) count(addr string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[addr]
}

type countingRoundTripper struct {
	c  *countingTransports
	rt http.RoundTripper
}

func (r countingRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	r.c.mu.Lock()
	r.c.counts[req.URL.Host]++
	r.c.mu.Unlock()
	return r.rt.RoundTrip(req)
}
