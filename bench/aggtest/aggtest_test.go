// Package aggtest measures what a user's test pays for aggtest.Start: from
// the call until every APIService of the server under test is Available,
// and the teardown after it. The baseline, measured in the same run, is the
// control plane alone (runlocal.StartControlPlane until /readyz, then Stop):
// start/controlplane says what the server, its registration and the first
// availability probe add on top. Run:
//
//	go test -run '^$' -bench . -benchtime 5x ./bench/aggtest
//
// and add -v to see each Start's phases in the log.
package aggtest

import (
	"net"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aggkit/aggkit/examples/wardle/server"
	"github.com/aggkit/aggkit/pkg/aggtest"
	"github.com/aggkit/aggkit/pkg/runlocal"
)

func BenchmarkStart(b *testing.B) {
	var start, stop, cpStart, cpStop []time.Duration
	for b.Loop() {
		// The baseline first: the control plane alone.
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		cp, err := runlocal.StartControlPlane(b.Context(), filepath.Join(b.TempDir(), "controlplane"), listener)
		if err != nil {
			b.Fatal(err)
		}
		cpStart = append(cpStart, time.Since(began))
		began = time.Now()
		if err := cp.Stop(); err != nil {
			b.Fatal(err)
		}
		cpStop = append(cpStop, time.Since(began))

		// Then what a test calls.
		env := &scope{TB: b}
		began = time.Now()
		aggtest.Start(env, server.New())
		start = append(start, time.Since(began))
		began = time.Now()
		env.cleanUp()
		stop = append(stop, time.Since(began))
	}
	b.ReportMetric(seconds(median(start)), "start-s")
	b.ReportMetric(seconds(median(stop)), "stop-s")
	b.ReportMetric(seconds(median(cpStart)), "controlplane-start-s")
	b.ReportMetric(seconds(median(cpStop)), "controlplane-stop-s")
	b.ReportMetric(float64(median(start))/float64(median(cpStart)), "start/controlplane")
}

// scope gives each Start its own cleanups, run after each iteration rather
// than at the end of the benchmark.
type scope struct {
	testing.TB
	cleanups []func()
}

func (s *scope) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

func (s *scope) cleanUp() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func seconds(d time.Duration) float64 { return d.Seconds() }
