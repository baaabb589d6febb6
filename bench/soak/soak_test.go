package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSoakSmoke runs the soak for a few seconds: every sample must read
// each replica's goroutines, RSS and open files, every traffic kind must
// complete requests, and none may fail. Setup takes ~25 s once the
// programs are built (longer on a first build); skipped under -short.
func TestSoakSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, three aggkit replicas and two sample-apiservers")
	}
	var out strings.Builder
	res := run(context.Background(), t, config{duration: 4 * time.Second, interval: time.Second, pace: 100 * time.Millisecond}, &out)
	t.Logf("\n%s", out.String())
	if len(res.samples) < 2 {
		t.Fatalf("%d samples, want at least 2", len(res.samples))
	}
	seen := [kinds]int{}
	for _, s := range res.samples {
		for i, r := range s.replicas {
			if r.goroutines <= 0 || r.rssKiB <= 0 || r.openFiles <= 0 {
				t.Errorf("at %s replica %d read as %+v", s.at, i, r)
			}
		}
		for k, iv := range s.kinds {
			seen[k] += len(iv.latencies)
		}
	}
	for k, n := range seen {
		if n == 0 {
			t.Errorf("no %s request completed", kindNames[k])
		}
	}
	if res.errors != 0 {
		t.Errorf("%d requests failed", res.errors)
	}
}
