package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
	"github.com/aggkit/aggkit/test/topology"
)

// replicaUsage is one replica's resources at one moment; -1 where it could
// not be read.
type replicaUsage struct {
	goroutines int
	rssKiB     int
	openFiles  int
}

// sample is one row of the table.
type sample struct {
	at       time.Duration
	warmup   bool // taken during the warm-up: printed, left out of the slopes
	replicas []replicaUsage
	kinds    [kinds]interval
}

// probes reads each replica's usage: goroutines from its pprof endpoint
// (as an admin), RSS and open files from /proc.
type probes struct {
	topo    *topology.Topology
	clients []*http.Client
}

func newProbes(t testing.TB, topo *topology.Topology) *probes {
	p := &probes{topo: topo}
	for _, a := range topo.Replicas {
		c := framework.HTTPClient(t, a.RESTConfig())
		c.Timeout = 10 * time.Second
		p.clients = append(p.clients, c)
	}
	return p
}

func (p *probes) sample(at time.Duration, kinds [kinds]interval) sample {
	s := sample{at: at, kinds: kinds}
	for i, a := range p.topo.Replicas {
		pid := a.Pid()
		s.replicas = append(s.replicas, replicaUsage{
			goroutines: goroutines(p.clients[i], a.Port),
			rssKiB:     rssKiB(pid),
			openFiles:  openFiles(pid),
		})
	}
	return s
}

// saveHeapProfiles writes each replica's heap profile to
// dir/replica-N-<when>.pb.gz; no dir, nothing. A failure is reported on out
// and does not stop the soak.
func (p *probes) saveHeapProfiles(out io.Writer, dir, when string) {
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(out, "heap profile:", err)
		return
	}
	for i, a := range p.topo.Replicas {
		path := filepath.Join(dir, fmt.Sprintf("replica-%d-%s.pb.gz", i, when))
		if err := saveHeapProfile(p.clients[i], a.Port, path); err != nil {
			fmt.Fprintf(out, "heap profile of replica %d: %v\n", i, err)
		}
	}
}

func saveHeapProfile(c *http.Client, port int, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d/debug/pprof/heap", port), nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/heap: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// goroutines reads the first line of the goroutine profile: "goroutine
// profile: total N".
func goroutines(c *http.Client, port int) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d/debug/pprof/goroutine?debug=1", port), nil)
	if err != nil {
		return -1
	}
	resp, err := c.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if resp.StatusCode != http.StatusOK || err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "goroutine profile: total")))
	if err != nil {
		return -1
	}
	return n
}

// rssKiB is VmRSS from /proc/<pid>/status.
func rssKiB(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// openFiles counts /proc/<pid>/fd: files, sockets, pipes.
func openFiles(pid int) int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(entries)
}
