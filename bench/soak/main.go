// Command soak drives mixed traffic against the production topology
// (test/topology: three `aggkit serve` replicas on a three-member etcd,
// two sample-apiserver replicas) and prints, every interval, each
// replica's goroutines, resident memory and open files and the p99 latency
// of each traffic kind; at the end, the slope of each figure, flagging
// growth over 5% of the run as a finding (issue 9).
//
//	go run ./bench/soak -duration 30m [-warmup 5m] [-interval 1m] [-pace 200ms] [-profiles DIR]
//
// The -warmup minutes run the same traffic before -duration; their rows are
// printed but left out of the slopes, so caches and pools filling up are not
// read as a leak. With -profiles, each replica's heap profile is saved at the
// end of the warm-up and at the end, for `go tool pprof -base`.
//
// Traffic, every -pace, on loopback only, round robin over the replicas:
// crud (create, get, update, list, delete a ConfigMap), watch (one watch
// per replica, reopened every minute; latency from a create being sent to
// its ADDED event), proxy (create, list, delete a Flunder through the
// aggregator to sample-apiserver) and discovery (aggregated /api, /apis).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/topology"
)

// namespace holds what the soak writes.
const namespace = "soak"

type config struct {
	warmup, duration, interval, pace time.Duration
	profiles                         string
}

func main() {
	var cfg config
	flag.DurationVar(&cfg.duration, "duration", 30*time.Minute, "how long to drive traffic after the warm-up")
	flag.DurationVar(&cfg.warmup, "warmup", 0, "traffic before -duration whose samples the slopes leave out")
	flag.StringVar(&cfg.profiles, "profiles", "", "directory to save each replica's heap profile in, after the warm-up and at the end")
	flag.DurationVar(&cfg.interval, "interval", time.Minute, "how often to sample the replicas and print a row")
	flag.DurationVar(&cfg.pace, "pace", 200*time.Millisecond, "pause between rounds of each traffic loop")
	flag.Parse()
	if cfg.interval <= 0 || cfg.pace <= 0 || cfg.duration < cfg.interval || cfg.warmup < 0 {
		fmt.Fprintln(os.Stderr, "soak: need -duration >= -interval > 0, -pace > 0 and -warmup >= 0")
		os.Exit(2)
	}
	p, err := topology.NewProgram("aggkit-soak")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res := run(ctx, p, cfg, os.Stdout)
	p.Close()
	if res.errors > 0 {
		fmt.Fprintf(os.Stderr, "soak: %d requests failed\n", res.errors)
	}
}

// result is what a run found.
type result struct {
	samples  []sample
	findings []string
	requests int
	errors   int
}

// run starts the topology, drives traffic for cfg.warmup+cfg.duration while
// sampling every cfg.interval, and prints the table and the slopes (of the
// samples after the warm-up) to out.
func run(ctx context.Context, p testing.TB, cfg config, out io.Writer) result {
	topo := topology.Start(p, namespace)
	probes := newProbes(p, topo)
	ctx, cancel := context.WithTimeout(ctx, cfg.warmup+cfg.duration)
	defer cancel()
	rec := newRecorder(ctx)
	traffic := startTraffic(ctx, p, topo, rec, cfg)

	began := time.Now()
	var res result
	printHeader(out, len(topo.Replicas))
	tick := time.NewTicker(cfg.interval)
	defer tick.Stop()
	warmupEnd := time.After(cfg.warmup)
	if cfg.warmup == 0 {
		warmupEnd = nil // profiles at the start would be taken before any traffic
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-warmupEnd:
			probes.saveHeapProfiles(out, cfg.profiles, "after-warmup")
			continue
		case <-tick.C:
		}
		s := probes.sample(time.Since(began), rec.take())
		s.warmup = s.at <= cfg.warmup && cfg.warmup > 0
		res.samples = append(res.samples, s)
		printRow(out, s)
	}
	probes.saveHeapProfiles(out, cfg.profiles, "end")
	traffic.Wait()
	res.requests, res.errors = rec.totals()
	res.findings = printSlopes(out, res.samples, res.requests, res.errors)
	return res
}
