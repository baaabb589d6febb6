// Package proxy measures what the aggregator costs: the same GET of a small
// object, sent straight to the real sample-apiserver and through aggkit, at
// several concurrencies, reported as ratios of the two, with a bare Go
// reverse proxy beside them as the floor any Go aggregator stands on. Run:
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/proxy
package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

const flunder = "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders/bench"

func BenchmarkProxy(b *testing.B) {
	agg := framework.StartAggregatedSample(b)
	a, k, sample := agg.Aggkit, agg.Kubectl, agg.Sample
	k.Apply(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"bench","namespace":"default"}}`)

	// The same admin client certificate both ways: sample-apiserver trusts
	// aggkit's client CA directly, and the aggregator's front-proxy identity.
	cert, err := tls.LoadX509KeyPair(filepath.Join(a.DataDir, "pki", "admin.crt"), filepath.Join(a.DataDir, "pki", "admin.key"))
	if err != nil {
		b.Fatal(err)
	}
	aggCA, err := os.ReadFile(filepath.Join(a.DataDir, "pki", "ca.crt"))
	if err != nil {
		b.Fatal(err)
	}
	aggRoots := x509.NewCertPool()
	aggRoots.AppendCertsFromPEM(aggCA)
	direct := newClient(cert, sample.CA(b), sample.URL)
	through := newClient(cert, aggRoots, a.RESTConfig().Host)
	bare, barePID := bareProxy(b, a.DataDir, sample)

	// CPU time per request of each server is the figure that other load on
	// a shared machine disturbs least.
	aggkitPID, samplePID := pidListeningOn(a.Port), pidListeningOn(portOf(sample.URL))
	cpuPerRequest := func(pid int, before time.Duration, r result) time.Duration {
		if pid == 0 || r.n == 0 {
			return 0
		}
		return (cpuTime(pid) - before) / time.Duration(r.n)
	}

	fmt.Printf("\n%-13s %5s %10s %10s %12s %12s %12s\n", "path", "conc", "p50", "p99", "req/s", "proxy cpu", "sample cpu")
	for _, conc := range []int{1, 16, 64} {
		sampleBefore := cpuTime(samplePID)
		d := measure(b, direct, conc, 3*time.Second)
		dSample := cpuPerRequest(samplePID, sampleBefore, d)
		direct.client.CloseIdleConnections() // so what is left to the backend is aggkit's
		var wait func()
		if conc == 64 {
			wait = profileDuring(b, through, 3*time.Second)
		}
		aggkitBefore, sampleBefore := cpuTime(aggkitPID), cpuTime(samplePID)
		t := measure(b, through, conc, 3*time.Second)
		tAggkit, tSample := cpuPerRequest(aggkitPID, aggkitBefore, t), cpuPerRequest(samplePID, sampleBefore, t)
		if wait != nil {
			wait()
		}
		backendConns := establishedTo(portOf(sample.URL))
		through.client.CloseIdleConnections()
		bareBefore, sampleBefore := cpuTime(barePID), cpuTime(samplePID)
		f := measure(b, bare, conc, 3*time.Second)
		fBare, fSample := cpuPerRequest(barePID, bareBefore, f), cpuPerRequest(samplePID, sampleBefore, f)
		bare.client.CloseIdleConnections()
		fmt.Printf("%-13s %5d %10s %10s %12.0f %12s %12s\n", "direct", conc, d.p50, d.p99, d.rps, "", dSample)
		fmt.Printf("%-13s %5d %10s %10s %12.0f %12s %12s\n", "via aggkit", conc, t.p50, t.p99, t.rps, tAggkit, tSample)
		fmt.Printf("%-13s %5d %10s %10s %11.0f%%   (aggkit->backend TCP connections: %d)\n", "added/kept", conc, t.p50-d.p50, t.p99-d.p99, 100*t.rps/d.rps, backendConns)
		fmt.Printf("%-13s %5d %10s %10s %12.0f %12s %12s\n", "bare Go proxy", conc, f.p50, f.p99, f.rps, fBare, fSample)
		fmt.Printf("%-13s %5d %10s %10s %11.0f%%\n", "added/kept", conc, f.p50-d.p50, f.p99-d.p99, 100*f.rps/d.rps)
		b.ReportMetric(float64((t.p50 - d.p50).Microseconds()), fmt.Sprintf("added-p50-us/c%d", conc))
		b.ReportMetric(100*t.rps/d.rps, fmt.Sprintf("kept-throughput-%%/c%d", conc))
		b.ReportMetric(float64(tAggkit.Microseconds()), fmt.Sprintf("aggkit-cpu-us-per-req/c%d", conc))
		b.ReportMetric(float64((f.p50 - d.p50).Microseconds()), fmt.Sprintf("bare-added-p50-us/c%d", conc))
		b.ReportMetric(100*f.rps/d.rps, fmt.Sprintf("bare-kept-throughput-%%/c%d", conc))
	}
	fmt.Println("targets: added p50 under 0.5ms at c=1; at least 85% of direct throughput at c=64 (kube-apiserver 1.37: +1.66ms, 45%)")
	fmt.Println("the bare Go proxy is the floor: what a reverse proxy with no API server around it costs on this machine")
}

type target struct {
	client *http.Client
	url    string
}

func newClient(cert tls.Certificate, roots *x509.CertPool, base string) target {
	tr := &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 128,
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots}}
	return target{client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, url: base + flunder}
}

type result struct {
	p50, p99 time.Duration
	rps      float64
	// n counts every request sent, warm-up included.
	n int
}

// measure sends GETs from conc goroutines for d and summarises them.
func measure(b *testing.B, t target, conc int, d time.Duration) result {
	// Warm up connections first.
	for range conc {
		get(b, t)
	}
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				get(b, t)
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return result{p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], rps: float64(len(lat)) / elapsed.Seconds(), n: len(lat) + conc}
}

func get(b *testing.B, t target) {
	resp, err := t.client.Get(t.url)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: HTTP %d", t.url, resp.StatusCode)
	}
}
