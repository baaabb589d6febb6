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

// TestWarmupLeftOutOfSlopes: RSS that climbs during the warm-up and is flat
// after it is no finding; the same climb after the warm-up is.
func TestWarmupLeftOutOfSlopes(t *testing.T) {
	var samples []sample
	for i := range 10 {
		rss := 200 * 1024
		if i < 3 {
			rss = (100 + 25*i) * 1024
		}
		samples = append(samples, sample{at: time.Duration(i+1) * time.Minute, warmup: i < 3,
			replicas: []replicaUsage{{goroutines: 1000, rssKiB: rss, openFiles: 50}}})
	}
	var out strings.Builder
	if findings := printSlopes(&out, samples, 0, 0); len(findings) != 0 {
		t.Errorf("findings %q with the climb inside the warm-up\n%s", findings, out.String())
	}
	if !strings.Contains(out.String(), "10 samples (7 after the warm-up, in the slopes)") {
		t.Errorf("sample counts missing:\n%s", out.String())
	}
	for i := range samples {
		samples[i].warmup = false
	}
	out.Reset()
	if findings := printSlopes(&out, samples, 0, 0); len(findings) != 1 {
		t.Errorf("findings %q without a warm-up, want RSS\n%s", findings, out.String())
	}
}
