// Package crud compares wardle (examples/wardle on pkg/extension) with the
// real k8s.io/sample-apiserver: create, get, list and update of Flunders,
// both servers on the same embedded etcd and behind the same `aggkit serve`
// for authentication and authorization, reported as throughput ratios and
// the resident memory of each server process. Run:
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/crud
package crud

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/childprocess"
	"github.com/aggkit/aggkit/pkg/etcd"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

const (
	objects     = 400
	concurrency = 8
	rounds      = 4 // even, so each server goes first equally often
	flunders    = "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders"
)

func BenchmarkCRUD(b *testing.B) {
	store, err := etcd.StartEmbedded(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(store.Stop)
	a := framework.StartAggkit(b, "")
	serving := framework.NewServingCert(b, "wardle", "api")

	framework.StartSampleAPIServer(b, store.ClientURL, a.Kubeconfig,
		"--tls-cert-file", serving.CertFile, "--tls-private-key-file", serving.KeyFile)
	wardlePort, wardlePID := startWardle(b, a, serving, store.ClientURL)

	cert, err := tls.LoadX509KeyPair(filepath.Join(a.DataDir, "pki", "admin.crt"), filepath.Join(a.DataDir, "pki", "admin.key"))
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serving.CA.CertPEM())
	samplePID, samplePort := findProcess(b, "sample-apiserver")

	servers := []struct {
		name string
		port int
		pid  int
	}{{"sample-apiserver", samplePort, samplePID}, {"wardle", wardlePort, wardlePID}}
	// Rounds alternate which server goes first, and each figure is the
	// median over rounds: run one after the other just once, whatever else
	// the machine did landed on one side only.
	ops := []string{"create", "get", "list", "update"}
	rates := map[string]map[string][]float64{}
	for round := range rounds {
		order := servers
		if round%2 == 1 {
			order = []struct {
				name string
				port int
				pid  int
			}{servers[1], servers[0]}
		}
		for _, s := range order {
			c := &client{http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
				MaxIdleConnsPerHost: 64, TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots}}},
				base: "https://127.0.0.1:" + strconv.Itoa(s.port)}
			r := c.run(b, round)
			if rates[s.name] == nil {
				rates[s.name] = map[string][]float64{}
			}
			for _, op := range ops {
				rates[s.name][op] = append(rates[s.name][op], r[op])
			}
		}
		fmt.Printf("round %d wardle/sample:", round+1)
		for _, op := range ops {
			fmt.Printf(" %s %.2fx", op, rates["wardle"][op][round]/rates["sample-apiserver"][op][round])
		}
		fmt.Println()
	}
	fmt.Printf("\n%-18s %10s %10s %10s %10s %10s   (median of %d rounds)\n", "server", "create/s", "get/s", "list/s", "update/s", "RSS MiB", rounds)
	for _, s := range servers {
		rss := rssMiB(b, s.pid)
		fmt.Printf("%-18s %10.0f %10.0f %10.0f %10.0f %10.1f\n", s.name, median(rates[s.name]["create"]), median(rates[s.name]["get"]),
			median(rates[s.name]["list"]), median(rates[s.name]["update"]), rss)
		b.ReportMetric(rss, "RSS-MiB/"+s.name)
	}
	fmt.Printf("%-18s", "wardle/sample")
	for _, op := range ops {
		ratio := median(rates["wardle"][op]) / median(rates["sample-apiserver"][op])
		fmt.Printf(" %9.2fx", ratio)
		b.ReportMetric(ratio, "ratio-"+op)
	}
	fmt.Printf("\ntarget: ratios at least 1.00x and no more memory (%d objects per round, %d concurrent clients, list = all objects)\n", objects, concurrency)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// startWardle builds and runs wardle on the shared etcd under its own
// prefix, with aggkit as its main server.
func startWardle(b *testing.B, a *framework.Aggkit, serving *framework.ServingCert, etcdURL string) (port, pid int) {
	bin := filepath.Join(b.TempDir(), "wardle")
	build := exec.Command("go", "build", "-o", bin, "./examples/wardle")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build wardle: %v\n%s", err, out)
	}
	e := &framework.Extension{Port: framework.FreePort(b), Serving: serving, Kubeconfig: a.Kubeconfig}
	proc, err := childprocess.Start(bin, append(e.Args(), "--etcd-servers", etcdURL, "--etcd-prefix", "/registry/wardle-on-pkg-extension"),
		filepath.Join(b.TempDir(), "wardle.log"), 40)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(proc.Kill)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.WaitServing(ctx, proc.Exited()); err != nil {
		b.Fatalf("%v\n%s", err, proc.Tail("    "))
	}
	return e.Port, proc.Pid()
}

// findProcess finds the one running program of this name started by this
// benchmark and the port given it by --secure-port.
func findProcess(b *testing.B, name string) (pid, port int) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(raw), "\x00")
		if filepath.Base(args[0]) != name {
			continue
		}
		if ppid := parentOf(p); ppid != os.Getpid() {
			continue
		}
		for i, a := range args {
			if a == "--secure-port" && i+1 < len(args) {
				port, _ = strconv.Atoi(args[i+1])
				return p, port
			}
		}
	}
	b.Fatalf("no %s process of this benchmark", name)
	return 0, 0
}

func parentOf(pid int) int {
	raw, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	// pid (comm) state ppid ...
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// rssMiB is the process's resident set size.
func rssMiB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatalf("no VmRSS for pid %d", pid)
	return 0
}

type client struct {
	http *http.Client
	base string
}

// run does each operation on every object from concurrent clients and
// returns operations per second by operation.
func (c *client) run(b *testing.B, round int) map[string]float64 {
	name := func(i int) string { return fmt.Sprintf("bench-%d-%d", round, i) }
	rate := map[string]float64{}
	rate["create"] = parallel(objects, func(i int) {
		body := fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":%q},"spec":{"reference":"x","referenceType":"Flunder"}}`, name(i))
		c.do(b, http.MethodPost, flunders, body, http.StatusCreated)
	})
	rate["get"] = parallel(objects, func(i int) { c.do(b, http.MethodGet, flunders+"/"+name(i), "", http.StatusOK) })
	lists := objects / 20
	rate["list"] = parallel(lists, func(int) { c.do(b, http.MethodGet, flunders, "", http.StatusOK) })
	// An update is a get and a put, as kubectl edit does; one counts once.
	rate["update"] = parallel(objects, func(i int) {
		var obj map[string]any
		if err := json.Unmarshal(c.do(b, http.MethodGet, flunders+"/"+name(i), "", http.StatusOK), &obj); err != nil {
			b.Error(err)
			return
		}
		obj["spec"].(map[string]any)["reference"] = "y"
		body, _ := json.Marshal(obj)
		c.do(b, http.MethodPut, flunders+"/"+name(i), string(body), http.StatusOK)
	})
	return rate
}

// parallel runs fn(0..n-1) from concurrency goroutines and returns calls
// per second.
func parallel(n int, fn func(int)) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

func (c *client) do(b *testing.B, method, path, body string, want int) []byte {
	req, err := http.NewRequest(method, c.base+path, bytes.NewBufferString(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		b.Error(err)
		return nil
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		b.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, out.String())
	}
	return out.Bytes()
}
