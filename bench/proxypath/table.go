package proxypath

import (
	"fmt"
	"io"
)

// perRequest is what one GET cost the whole process on one path.
type perRequest struct {
	allocs, bytes, cpuUS float64
}

func (p perRequest) minus(q perRequest) perRequest {
	return perRequest{allocs: p.allocs - q.allocs, bytes: p.bytes - q.bytes, cpuUS: p.cpuUS - q.cpuUS}
}

// table holds one run's paths: aggkit as system:masters (decided before
// RBAC) and as a user whom RBAC allows.
type table struct {
	direct, bare, aggkit, rbacUser perRequest
}

// print writes the figures of one run: every path as the whole process
// saw it (client, proxy and backend), then each proxy's share (its path
// minus direct: the proxy's own work), then aggkit against the bare proxy.
// The share ratio is the strict one: bench/proxy reads CPU of the proxy
// process alone, which is this share.
func (t table) print(w io.Writer) {
	row := func(name string, p perRequest) {
		fmt.Fprintf(w, "%-34s %10.0f %10.0f %10.1f\n", name, p.allocs, p.bytes, p.cpuUS)
	}
	ratio := func(name string, a, b perRequest) {
		fmt.Fprintf(w, "%-34s %9.2fx %9.2fx %9.2fx\n", name, a.allocs/b.allocs, a.bytes/b.bytes, a.cpuUS/b.cpuUS)
	}
	bareShare, aggkitShare, userShare := t.bare.minus(t.direct), t.aggkit.minus(t.direct), t.rbacUser.minus(t.direct)
	fmt.Fprintf(w, "\nproxied GET, one at a time, paths in turns  %7s %10s %10s\n", "allocs", "bytes", "cpu-us")
	row("direct (client + backend)", t.direct)
	row("bare Go proxy (whole process)", t.bare)
	row("via aggkit (whole process)", t.aggkit)
	row("via aggkit, RBAC user (whole)", t.rbacUser)
	row("bare Go proxy's share", bareShare)
	row("aggkit's share", aggkitShare)
	row("aggkit's share, RBAC user", userShare)
	ratio("aggkit / bare, whole process", t.aggkit, t.bare)
	ratio("aggkit / bare, proxy's share", aggkitShare, bareShare)
	ratio("aggkit RBAC user / bare, share", userShare, bareShare)
	fmt.Fprintln(w, "targets (issue 10): aggkit's CPU ≤ 1.15x the bare proxy's; allocations ≤ 100 and bytes ≤ 8 KB per proxied GET")
}
