package controlplane

import (
	"runtime/debug"
	"testing"
)

// TestStartupGCIsSharedAndRestored: servers starting together share one
// raise of GOGC, the value found is back once the last is ready, calling
// done twice counts once, and a GOGC already above the raise is kept.
func TestStartupGCIsSharedAndRestored(t *testing.T) {
	// Its own count: servers of other tests may still be starting.
	var g gcRaise
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)

	first := g.raise()
	second := g.raise()
	if got := gcPercent(); got != startupGCPercent {
		t.Fatalf("GOGC while starting = %d, want %d", got, startupGCPercent)
	}
	first()
	first()
	if got := gcPercent(); got != startupGCPercent {
		t.Errorf("GOGC with one server still starting = %d, want %d", got, startupGCPercent)
	}
	second()
	if got := gcPercent(); got != 150 {
		t.Errorf("GOGC after start = %d, want the 150 found", got)
	}

	debug.SetGCPercent(1000)
	done := g.raise()
	if got := gcPercent(); got != 1000 {
		t.Errorf("GOGC while starting = %d, want the higher 1000 kept", got)
	}
	done()
	if got := gcPercent(); got != 1000 {
		t.Errorf("GOGC after start = %d, want 1000", got)
	}
}

func gcPercent() int {
	v := debug.SetGCPercent(100)
	debug.SetGCPercent(v)
	return v
}
