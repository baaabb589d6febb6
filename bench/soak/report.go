package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// growthLimit is the growth over the run, in percent, that counts as a
// finding to fix or explain (issue 9).
const growthLimit = 5.0

func printHeader(out io.Writer, replicas int) {
	cols := []string{"t"}
	for i := range replicas {
		cols = append(cols, fmt.Sprintf("r%d goroutines", i), fmt.Sprintf("r%d RSS MiB", i), fmt.Sprintf("r%d files", i))
	}
	for _, k := range kindNames {
		cols = append(cols, k+" p99 ms (n)")
	}
	cols = append(cols, "errors")
	fmt.Fprintf(out, "| %s |\n|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
}

func printRow(out io.Writer, s sample) {
	cols := []string{s.at.Round(time.Second).String()}
	if s.warmup {
		cols[0] += " (warm-up)"
	}
	for _, r := range s.replicas {
		cols = append(cols, fmt.Sprint(r.goroutines), fmt.Sprintf("%.1f", float64(r.rssKiB)/1024), fmt.Sprint(r.openFiles))
	}
	errors, why := 0, ""
	for k, iv := range s.kinds {
		if p, ok := p99(iv.latencies); ok {
			cols = append(cols, fmt.Sprintf("%.1f (%d)", ms(p), len(iv.latencies)))
		} else {
			cols = append(cols, "- (0)")
		}
		errors += iv.errors
		if iv.lastErr != "" {
			why = kindNames[k] + ": " + iv.lastErr
		}
	}
	errCol := fmt.Sprint(errors)
	if why != "" {
		errCol += " (last " + truncate(why, 80) + ")"
	}
	cols = append(cols, errCol)
	fmt.Fprintf(out, "| %s |\n", strings.Join(cols, " | "))
}

// series is one figure over the run: its samples' times and values.
type series struct {
	name   string
	hours  []float64
	values []float64
}

func (s *series) add(at time.Duration, v float64, ok bool) {
	if ok {
		s.hours = append(s.hours, at.Hours())
		s.values = append(s.values, v)
	}
}

// printSlopes fits a line through each figure, over the samples after the
// warm-up, and prints its slope per hour and its growth over the run as a
// percentage of the fitted start; growth over growthLimit is returned and
// printed as a finding.
func printSlopes(out io.Writer, all []sample, requests, errors int) []string {
	samples := slices.DeleteFunc(slices.Clone(all), func(s sample) bool { return s.warmup })
	fmt.Fprintf(out, "\n%d requests, %d errors, %d samples (%d after the warm-up, in the slopes)\n\n", requests, errors, len(all), len(samples))
	return printSeriesSlopes(out, samples)
}

func printSeriesSlopes(out io.Writer, samples []sample) []string {
	var all []*series
	if len(samples) > 0 {
		for i := range samples[0].replicas {
			g := &series{name: fmt.Sprintf("replica %d goroutines", i)}
			m := &series{name: fmt.Sprintf("replica %d RSS MiB", i)}
			f := &series{name: fmt.Sprintf("replica %d open files", i)}
			for _, s := range samples {
				r := s.replicas[i]
				g.add(s.at, float64(r.goroutines), r.goroutines >= 0)
				m.add(s.at, float64(r.rssKiB)/1024, r.rssKiB >= 0)
				f.add(s.at, float64(r.openFiles), r.openFiles >= 0)
			}
			all = append(all, g, m, f)
		}
	}
	for k, name := range kindNames {
		l := &series{name: name + " p99 ms"}
		for _, s := range samples {
			p, ok := p99(s.kinds[k].latencies)
			l.add(s.at, ms(p), ok)
		}
		all = append(all, l)
	}

	fmt.Fprintf(out, "| figure | first | last | slope per hour | growth over run | |\n|---|---|---|---|---|---|\n")
	var findings []string
	for _, s := range all {
		if len(s.values) < 2 {
			fmt.Fprintf(out, "| %s | | | too few samples | | |\n", s.name)
			continue
		}
		slope, start := fit(s.hours, s.values)
		span := s.hours[len(s.hours)-1] - s.hours[0]
		growth := 0.0
		if startValue := start + slope*s.hours[0]; startValue > 0 {
			growth = 100 * slope * span / startValue
		}
		flag := ""
		if growth > growthLimit {
			flag = "FINDING"
			findings = append(findings, fmt.Sprintf("%s grew %.1f%% over the run (%+.1f per hour)", s.name, growth, slope))
		}
		fmt.Fprintf(out, "| %s | %.1f | %.1f | %+.1f | %+.1f%% | %s |\n", s.name, s.values[0], s.values[len(s.values)-1], slope, growth, flag)
	}
	fmt.Fprintln(out)
	if len(findings) == 0 {
		fmt.Fprintf(out, "no figure grew more than %.0f%% over the run\n", growthLimit)
	}
	for _, f := range findings {
		fmt.Fprintln(out, "finding:", f)
	}
	return findings
}

// fit is the least-squares line through (x, y): its slope and intercept.
func fit(x, y []float64) (slope, intercept float64) {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx, sy, sxx, sxy = sx+x[i], sy+y[i], sxx+x[i]*x[i], sxy+x[i]*y[i]
	}
	if d := n*sxx - sx*sx; d != 0 {
		slope = (n*sxy - sx*sy) / d
	}
	return slope, (sy - slope*sx) / n
}

// p99 is the nearest-rank 99th percentile.
func p99(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	sorted := slices.Sorted(slices.Values(ds))
	rank := (99*len(sorted) + 99) / 100 // ceil(0.99 n)
	return sorted[rank-1], true
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
