package main

import (
	"fmt"
	"sort"
	"time"
)

// build is one aggkit binary and what was measured of it.
type build struct {
	name, bin      string
	fresh, restart []sample
}

func (b *build) add(kind string, s sample) {
	if kind == "fresh" {
		b.fresh = append(b.fresh, s)
	} else {
		b.restart = append(b.restart, s)
	}
}

// row is one figure of the table: how to read it from a build, how to
// print it, and the target issue 10 sets.
type row struct {
	name   string
	value  func(b build) int64
	format func(int64) string
	target string
}

var rows = []row{
	{"start → /readyz, fresh data dir", medianOf(fresh, readyOf), msInt, "≤ 400 ms"},
	{"start → /readyz, restart", medianOf(restart, readyOf), msInt, "≤ 400 ms, not above fresh"},
	{"CPU until /readyz, fresh", medianOf(fresh, cpuOf), msInt, ""},
	{"CPU until /readyz, restart", medianOf(restart, cpuOf), msInt, ""},
	{"idle RSS, fresh (etcd included)", medianOf(fresh, rssOf), mibInt, "≤ 80 MiB"},
	{"  of which anonymous (heap, stacks)", medianOf(fresh, anonOf), mibInt, ""},
	{"  of which file pages (binary, etcd files)", medianOf(fresh, fileOf), mibInt, ""},
	{"idle RSS, restart", medianOf(restart, rssOf), mibInt, "≤ 80 MiB"},
}

func fresh(b build) []sample   { return b.fresh }
func restart(b build) []sample { return b.restart }

func readyOf(s sample) int64 { return int64(s.ready) }
func cpuOf(s sample) int64   { return int64(s.cpu) }
func rssOf(s sample) int64   { return s.rss }
func anonOf(s sample) int64  { return s.anon }
func fileOf(s sample) int64  { return s.file }

func medianOf(kind func(build) []sample, field func(sample) int64) func(build) int64 {
	return func(b build) int64 {
		var v []int64
		for _, s := range kind(b) {
			v = append(v, field(s))
		}
		if len(v) == 0 {
			return 0
		}
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return v[len(v)/2]
	}
}

// printTable prints every figure of builds[0] next to builds[1]'s, the
// baseline, as a Markdown table.
func printTable(builds []build) {
	header, rule := "| figure | this tree |", "|---|---:|"
	if len(builds) > 1 {
		header += fmt.Sprintf(" baseline (%s) | ratio |", builds[1].name)
		rule += "---:|---:|"
	}
	fmt.Println(header + " target |")
	fmt.Println(rule + "---|")
	for _, r := range rows {
		line := fmt.Sprintf("| %s | %s |", r.name, r.format(r.value(builds[0])))
		if len(builds) > 1 {
			base := r.value(builds[1])
			ratio := "–"
			if base > 0 {
				ratio = fmt.Sprintf("%.2f×", float64(r.value(builds[0]))/float64(base))
			}
			line += fmt.Sprintf(" %s | %s |", r.format(base), ratio)
		}
		fmt.Println(line + " " + r.target + " |")
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
func mib(b int64) string        { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
func msInt(v int64) string      { return ms(time.Duration(v)) }
func mibInt(v int64) string     { return mib(v) }
