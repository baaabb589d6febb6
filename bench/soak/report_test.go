package main

import (
	"strings"
	"testing"
	"time"
)

// TestSlopesFlagGrowth checks the arithmetic the soak's verdict rests on: a
// figure that grows 10% over the run is a finding, a flat or shrinking one
// is not, and p99 is the nearest-rank percentile.
func TestSlopesFlagGrowth(t *testing.T) {
	var samples []sample
	for i := range 11 {
		at := time.Duration(i) * time.Minute
		samples = append(samples, sample{at: at, replicas: []replicaUsage{
			{goroutines: 1000 + 10*i, rssKiB: 102400, openFiles: 50 - i}, // +10%, flat, shrinking
		}})
	}
	var out strings.Builder
	findings := printSlopes(&out, samples, 0, 0)
	if len(findings) != 1 || !strings.HasPrefix(findings[0], "replica 0 goroutines grew 10.0%") {
		t.Fatalf("findings %q, want only goroutines at 10.0%%\n%s", findings, out.String())
	}
	if !strings.Contains(out.String(), "| replica 0 goroutines | 1000.0 | 1100.0 | +600.0 | +10.0% | FINDING |") {
		t.Errorf("slope row missing:\n%s", out.String())
	}

	var ds []time.Duration
	for i := 1; i <= 200; i++ {
		ds = append(ds, time.Duration(201-i)*time.Millisecond)
	}
	if got, _ := p99(ds); got != 198*time.Millisecond {
		t.Errorf("p99 of 1..200 ms = %s, want 198ms", got)
	}
	if _, ok := p99(nil); ok {
		t.Error("p99 of no samples reported a value")
	}
}
