package chaos

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// flip is a stored change of Available to False.
type flip struct {
	rv         string
	transition time.Time
	seen       time.Time // first replica to show it
	reason     string
	healthy    bool // a backend was healthy throughout
}

// statusStates is every stored state of the APIService, by resourceVersion,
// with the times each replica showed it.
type statusState struct {
	rv     uint64
	first  observation
	seenBy map[int]time.Time
}

func statusStates(obs []observation) []*statusState {
	byRV := map[string]*statusState{}
	for _, o := range obs {
		s, ok := byRV[o.rv]
		if !ok {
			rv, _ := strconv.ParseUint(o.rv, 10, 64)
			s = &statusState{rv: rv, first: o, seenBy: map[int]time.Time{}}
			byRV[o.rv] = s
		}
		if _, ok := s.seenBy[o.replica]; !ok {
			s.seenBy[o.replica] = o.at
		}
		if o.at.Before(s.first.at) {
			s.first = o
		}
	}
	states := slices.Collect(maps.Values(byRV))
	sort.Slice(states, func(i, j int) bool { return states[i].rv < states[j].rv })
	return states
}

// falseFlips lists each stored change of Available to False, and whether a
// healthy backend remained from one second before its lastTransitionTime
// (which has 1 s resolution, and the probe that decided ran before it)
// until a replica showed it.
func falseFlips(states []*statusState, health *backendHealth) []flip {
	var flips []flip
	prev := ""
	for _, s := range states {
		if s.first.status == "False" && prev != "False" {
			from := s.first.transition.Add(-time.Second)
			flips = append(flips, flip{rv: s.first.rv, transition: s.first.transition, seen: s.first.at, reason: s.first.reason,
				healthy: health.healthyThroughout(from, s.first.at)})
		}
		prev = s.first.status
	}
	return flips
}

// disagreement is how long after the first replica the last one showed
// each stored state, and how many states some replica never showed (its
// watch was re-listed past them).
func disagreement(states []*statusState, replicas int) (worst, median time.Duration, missed int) {
	var spreads []time.Duration
	for _, s := range states {
		if len(s.seenBy) < replicas {
			missed++
		}
		var lo, hi time.Time
		for _, at := range s.seenBy {
			if lo.IsZero() || at.Before(lo) {
				lo = at
			}
			if at.After(hi) {
				hi = at
			}
		}
		spreads = append(spreads, hi.Sub(lo))
	}
	if len(spreads) == 0 {
		return 0, 0, missed
	}
	slices.Sort(spreads)
	return spreads[len(spreads)-1], spreads[len(spreads)/2], missed
}

// faultTable prints, per fault, the client's outcomes in its window.
func faultTable(runs []faultRun, writes []write) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| # | fault | detail | writes | acked | errors by kind | retried connection errors | first success after fault (CM / Flunder) | longest gap between successes (CM / Flunder) |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|\n")
	for i, r := range runs {
		var total, acked int
		errs, retried := map[string]int{}, map[string]int{}
		for _, w := range writes {
			if w.end.Before(r.start) || !w.end.Before(r.end) {
				continue
			}
			total++
			for _, k := range w.retried {
				retried[k]++
			}
			if !w.acked {
				errs[w.kind+": "+w.errKind]++
				continue
			}
			acked++
		}
		first, gaps := map[string]time.Duration{}, map[string]time.Duration{}
		for _, kind := range writeKinds {
			first[kind.name], gaps[kind.name] = recovery(r, kind.name, writes)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %d | %d | %s | %s | %s / %s | %s / %s |\n", i+1, r.name, r.detail, total, acked,
			counts(errs), counts(retried), dur(first, configMaps.name), dur(first, flunders.name), dur(gaps, configMaps.name), dur(gaps, flunders.name))
	}
	return b.String()
}

// recovery is, for one kind of write, the time from the fault to the first
// acknowledged write sent after it, and the longest time without an
// acknowledgment within the fault's window.
func recovery(r faultRun, kind string, writes []write) (first, longestGap time.Duration) {
	var ends []time.Time
	first = -1
	for _, w := range writes {
		if w.kind != kind || !w.acked || w.end.Before(r.start) {
			continue
		}
		ends = append(ends, w.end)
		if !w.start.Before(r.start) && (first < 0 || w.end.Sub(r.start) < first) {
			first = w.end.Sub(r.start)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	prev := r.start
	for _, end := range ends {
		if end.After(r.end) {
			break
		}
		longestGap = max(longestGap, end.Sub(prev))
		prev = end
	}
	// Silence until the window closed counts too (a kind that never
	// recovered shows the whole window).
	return first, max(longestGap, r.end.Sub(prev))
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, "; ")
}

func dur(m map[string]time.Duration, k string) string {
	d := m[k]
	if d < 0 {
		return "never"
	}
	return d.Round(10 * time.Millisecond).String()
}

// takeoverTable prints what the Lease did after each holder death.
func takeoverTable(runs []faultRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| # | fault | lease won by | holder death → lease taken | lease taken → status written | problem |\n|---|---|---|---|---|---|\n")
	for i, r := range runs {
		if r.takeover == nil {
			continue
		}
		t := r.takeover
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", i+1, r.detail, t.winner, t.deathToLease.Round(10*time.Millisecond),
			t.leaseToStatus.Round(10*time.Millisecond), t.err)
	}
	return b.String()
}
