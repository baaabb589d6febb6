// Package proxypath measures what aggkit itself spends on one proxied
// request, with the control plane in this process and a backend that does
// almost nothing, so that aggkit's share is not hidden behind a real
// server's. The baseline is the same GET sent straight to that backend;
// the difference per request (time, allocations) is aggkit's. A bare Go
// reverse proxy in the same process is the floor aggkit is read against.
// Run:
//
//	go test -run '^$' -bench . -benchtime 5000x ./bench/proxypath
//
// Besides the usual benchmark lines it measures the three paths again in
// turns and prints one table (table.go) with each path's figures and
// aggkit's share beside the bare proxy's; add -cpuprofile or -memprofile
// to see where the difference goes.
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
	"os"
	"path/filepath"
	"runtime"
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
	cp := inprocess.StartForTest(ctx, b)

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
	// The same kind of client on every path (not client-go's, whose round
	// trippers would count as aggkit's share), with the admin certificate.
	adminTLS, err := rest.TLSConfigFor(cp.Admin)
	if err != nil {
		b.Fatal(err)
	}
	through := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: adminTLS}}
	bare := bareProxy(b, backend.URL, roots)
	// A user outside system:masters, allowed by an RBAC binding: what
	// most callers are.
	userTLS := adminTLS.Clone()
	userTLS.Certificates = []tls.Certificate{rbacUser(b, cp.Admin, filepath.Join(dir, "controlplane", "pki"))}
	asUser := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: userTLS}}
	paths := []path{{direct, backend.URL + object}, {bare.Client(), bare.URL + object}, {through, cp.URL + object}, {asUser, cp.URL + object}}
	waitAllowed(b, paths[3])
	b.Run("direct", func(b *testing.B) { run(b, paths[0]) })
	b.Run("bare-go-proxy", func(b *testing.B) { run(b, paths[1]) })
	b.Run("via-aggkit", func(b *testing.B) { run(b, paths[2]) })
	b.Run("via-aggkit-rbac-user", func(b *testing.B) { run(b, paths[3]) })
	figures := interleaved(b, paths, 20, 250)
	table{direct: figures[0], bare: figures[1], aggkit: figures[2], rbacUser: figures[3]}.print(os.Stdout)
}

// bareProxy is the least any Go proxy does on this path: TLS and HTTP/2
// in, httputil.ReverseProxy, a fixed identity, TLS and HTTP/2 out; no
// authentication, authorization or anything else. It is bench/proxy's
// bareproxy in this process, the floor aggkit is measured against.
func bareProxy(b *testing.B, backendURL string, roots *x509.CertPool) *httptest.Server {
	target, err := url.Parse(backendURL)
	if err != nil {
		b.Fatal(err)
	}
	out := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: roots}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set("X-Remote-User", "admin")
			pr.Out.Header.Set("X-Remote-Group", "system:masters")
		},
		Transport: out,
	}
	s := httptest.NewUnstartedServer(proxy)
	s.EnableHTTP2 = true
	s.StartTLS()
	b.Cleanup(s.Close)
	return s
}

// path is one way to the backend's object.
type path struct {
	client *http.Client
	url    string
}

func run(b *testing.B, p path) {
	get(b, p.client, p.url) // connect outside the measurement
	b.ReportAllocs()
	before := processCPU()
	n := 0
	for b.Loop() {
		get(b, p.client, p.url)
		n++
	}
	// CPU time of the whole process (client, aggkit and backend): what
	// other load on the machine disturbs least.
	b.ReportMetric(float64((processCPU()-before).Microseconds())/float64(n), "cpu-us/op")
}

// interleaved measures the paths in turns, rounds times n GETs each, so
// that load from outside the benchmark, which comes and goes on a shared
// machine, falls on every path alike; the table is read from it.
func interleaved(b *testing.B, paths []path, rounds, n int) []perRequest {
	totals := make([]perRequest, len(paths))
	var before, after runtime.MemStats
	for range rounds {
		for i, p := range paths {
			runtime.ReadMemStats(&before)
			cpu := processCPU()
			for range n {
				get(b, p.client, p.url)
			}
			cpu = processCPU() - cpu
			runtime.ReadMemStats(&after)
			totals[i].allocs += float64(after.Mallocs - before.Mallocs)
			totals[i].bytes += float64(after.TotalAlloc - before.TotalAlloc)
			totals[i].cpuUS += float64(cpu.Nanoseconds()) / 1e3
		}
	}
	for i := range totals {
		totals[i].allocs /= float64(rounds * n)
		totals[i].bytes /= float64(rounds * n)
		totals[i].cpuUS /= float64(rounds * n)
	}
	return totals
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
