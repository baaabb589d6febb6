package proxy

import (
	"errors"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
)

func TestBalancer(t *testing.T) {
	addrs := []string{"a:1", "b:1", "c:1"}
	now := time.Unix(1000, 0)
	b := newBalancer("v1.example.com")
	b.now = func() time.Time { return now }

	// Round robin: every address leads once per cycle.
	var leaders []string
	for range len(addrs) {
		leaders = append(leaders, b.order(addrs)[0])
	}
	slices.Sort(leaders)
	if !slices.Equal(leaders, addrs) {
		t.Fatalf("leaders over a cycle %v; want each of %v once", leaders, addrs)
	}

	boom := errors.New("connection refused")
	tests := []struct {
		name     string
		step     func()
		wantLast []string // the tail of every order, in this order
		retryAtB time.Duration
	}{
		{name: "a failing address goes last", step: func() { b.failed("b:1", boom) }, wantLast: []string{"b:1"}, retryAtB: time.Second},
		{name: "backoff doubles", step: func() { b.failed("b:1", boom) }, wantLast: []string{"b:1"}, retryAtB: 2 * time.Second},
		{name: "soonest retry first among failing", step: func() { b.failed("a:1", boom) }, wantLast: []string{"a:1", "b:1"}, retryAtB: 2 * time.Second},
		{name: "backoff is capped", step: func() {
			for range 10 {
				b.failed("b:1", boom)
			}
		}, wantLast: []string{"a:1", "b:1"}, retryAtB: maxBackoff},
		{name: "past its backoff an address is healthy again", step: func() { now = now.Add(maxBackoff) }, wantLast: nil},
		{name: "success forgets the failures", step: func() { b.succeeded("b:1"); b.succeeded("a:1") }, wantLast: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.step()
			for range len(addrs) {
				order := b.order(addrs)
				if got := order[len(order)-len(tt.wantLast):]; len(tt.wantLast) > 0 && !slices.Equal(got, tt.wantLast) {
					t.Fatalf("order %v; want it to end with %v", order, tt.wantLast)
				}
				if len(order) != len(addrs) {
					t.Fatalf("order %v lost addresses", order)
				}
			}
			if tt.retryAtB > 0 {
				if got := b.failing["b:1"].retryAt.Sub(now); got != tt.retryAtB {
					t.Errorf("b:1 retries in %v; want %v", got, tt.retryAtB)
				}
			}
		})
	}
	if len(b.failing) != 0 {
		t.Errorf("failures left after success: %v", b.failing)
	}

	b.failed("gone:1", boom)
	b.order(addrs)
	if _, ok := b.failing["gone:1"]; ok {
		t.Error("failure of an address the Service no longer has was kept")
	}
}

// A refused address is out of rotation only briefly however long it has
// been refusing, so a restarted backend is used again within a second; an
// address that fails otherwise still backs off.
func TestBalancerRefusedBackoffDoesNotGrow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, dialErr := net.Dial("tcp", addr)
	if !errors.Is(dialErr, syscall.ECONNREFUSED) {
		t.Fatalf("dial of a closed port: %v, want connection refused", dialErr)
	}
	refused := &backend.DialError{Address: addr, Err: dialErr}

	now := time.Unix(1000, 0)
	b := newBalancer("v1.example.com")
	b.now = func() time.Time { return now }
	for range 20 {
		b.failed(addr, refused)
	}
	if got := b.failing[addr].retryAt.Sub(now); got != refusedBackoff {
		t.Errorf("after 20 refused dials the address retries in %v; want %v", got, refusedBackoff)
	}
	if refusedBackoff > time.Second {
		t.Errorf("refusedBackoff %v keeps a restarted backend out for more than a second", refusedBackoff)
	}

	// Answering but failing: the backoff starts afresh and doubles.
	reset := errors.New("read: connection reset by peer")
	b.failed(addr, reset)
	b.failed(addr, reset)
	if got := b.failing[addr].retryAt.Sub(now); got != 2*minBackoff {
		t.Errorf("after two other failures the address retries in %v; want %v", got, 2*minBackoff)
	}
}
