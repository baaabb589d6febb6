// Package proxypath measures what aggkit itself spends on one proxied
// request, with the control plane in this process and a backend that does
// almost nothing, so that aggkit's share is not hidden behind a real
// server's. The baseline is the same GET sent straight to that backend;
// the difference per request (time, allocations) is aggkit's. Run:
//
//	go test -run '^$' -bench . -benchmem ./bench/proxypath
//
// and add -cpuprofile to see where the difference goes.
package proxypath

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
	"github.com/aggkit/aggkit/pkg/deploy"
)

const (
	group   = "bench.example.com"
	version = "v1"
	object  = "/apis/" + group + "/" + version + "/namespaces/default/things/one"
)

// discovery is the smallest group-version document the availability probe
// accepts.
const discovery = `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"` + group + `/` + version +
	`","resources":[{"name":"things","singularName":"thing","namespaced":true,"kind":"Thing","verbs":["get"]}]}`

const thing = `{"apiVersion":"` + group + `/` + version + `","kind":"Thing","metadata":{"name":"one","namespace":"default"}}`

func BenchmarkGet(b *testing.B) {
	klog.SetOutput(discard{})
	klog.LogToStderr(false)
	ctx := b.Context()
	dir := b.TempDir()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cp, err := inprocess.Start(ctx, filepath.Join(dir, "controlplane"), listener)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cp.Stop() })

	serving, err := deploy.LoadOrCreateServing(filepath.Join(dir, "pki"), "bench", "bench", net.IPv4(127, 0, 0, 1))
	if err != nil {
		b.Fatal(err)
	}
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/apis/"+group+"/"+version {
			w.Write([]byte(discovery))
			return
		}
		w.Write([]byte(thing))
	}))
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		b.Fatal(err)
	}
	backend.EnableHTTP2 = true
	backend.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	backend.StartTLS()
	b.Cleanup(backend.Close)

	port := backend.Listener.Addr().(*net.TCPAddr).Port
	local := deploy.Local{Name: "bench", Namespace: "bench", Group: group, Versions: []string{version},
		Address: "127.0.0.1", Port: port, CABundle: serving.CA.CertPEM()}
	if err := deploy.Apply(ctx, cp.Admin, deploy.LocalObjects(local), nil); err != nil {
		b.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := deploy.WaitAvailable(waitCtx, cp.Admin, []string{deploy.APIServiceName(group, version)}, nil); err != nil {
		b.Fatal(err)
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serving.CA.CertPEM())
	direct := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: roots}}}
	through, err := rest.HTTPClientFor(cp.Admin)
	if err != nil {
		b.Fatal(err)
	}
	bare := bareProxy(b, backend.URL, roots)
	b.Run("direct", func(b *testing.B) { run(b, direct, backend.URL+object) })
	b.Run("bare-go-proxy", func(b *testing.B) { run(b, bare.Client(), bare.URL+object) })
	b.Run("via-aggkit", func(b *testing.B) { run(b, through, cp.URL+object) })
}

// bareProxy is the least any Go proxy does on this path: TLS and HTTP/2
// in, httputil.ReverseProxy, TLS and HTTP/2 out; no authentication,
// authorization or anything else. It is the floor aggkit is measured
// against.
func bareProxy(b *testing.B, backendURL string, roots *x509.CertPool) *httptest.Server {
	target, err := url.Parse(backendURL)
	if err != nil {
		b.Fatal(err)
	}
	out := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: roots}}
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: out,
	}
	s := httptest.NewUnstartedServer(proxy)
	s.EnableHTTP2 = true
	s.StartTLS()
	b.Cleanup(s.Close)
	return s
}

func run(b *testing.B, client *http.Client, url string) {
	get(b, client, url) // connect outside the measurement
	b.ReportAllocs()
	before := processCPU()
	n := 0
	for b.Loop() {
		get(b, client, url)
		n++
	}
	// CPU time of the whole process (client, aggkit and backend): what
	// other load on the machine disturbs least.
	b.ReportMetric(float64((processCPU()-before).Microseconds())/float64(n), "cpu-us/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func get(b *testing.B, client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
