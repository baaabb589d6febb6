// Command startup measures `aggkit serve` on embedded etcd: time from
// process start to /readyz ok, the CPU spent until then, and resident memory
// (etcd included, since it runs in the same process) once idle, split into
// anonymous memory (heap, stacks) and file pages (the executable, etcd's
// files). Each run uses a fresh data directory; a second start on the same
// directory measures a restart.
//
// Every figure is printed next to the same figure of a baseline build, by
// default the main branch, measured in the same run, interleaved:
//
//	go run ./bench/startup [-runs 3] [-idle 20s] [-baseline main]
//
// -baseline "" measures this tree alone.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	runs := flag.Int("runs", 3, "fresh starts to measure per build (each followed by one restart)")
	idle := flag.Duration("idle", 20*time.Second, "how long to wait before reading idle memory")
	baseline := flag.String("baseline", "main", "git ref to build and measure as the baseline; empty for none")
	flag.Parse()

	work, err := os.MkdirTemp("", "aggkit-bench-startup-")
	check(err)
	defer os.RemoveAll(work)
	builds := []build{{name: "this tree", bin: filepath.Join(work, "aggkit")}}
	check(goBuild(".", builds[0].bin))
	if *baseline != "" {
		base := build{name: *baseline, bin: filepath.Join(work, "aggkit-baseline")}
		check(buildRef(*baseline, filepath.Join(work, "baseline-src"), base.bin))
		builds = append(builds, base)
	}

	fmt.Printf("%-10s %-4s %-8s %10s %10s %10s %10s %10s\n", "build", "run", "start", "to /readyz", "CPU", "idle RSS", "anon", "file")
	for i := 1; i <= *runs; i++ {
		for b := range builds {
			dir := filepath.Join(work, fmt.Sprintf("data-%d-%d", b, i))
			for _, kind := range []string{"fresh", "restart"} {
				m := measure(builds[b].bin, dir, *idle)
				builds[b].add(kind, m)
				fmt.Printf("%-10s %-4d %-8s %10s %10s %10s %10s %10s\n", short(builds[b].name), i, kind,
					ms(m.ready), ms(m.cpu), mib(m.rss), mib(m.anon), mib(m.file))
			}
		}
	}
	fmt.Println()
	printTable(builds)
	fmt.Printf("\nmachine: %d CPUs (%s), load %s at the end; %d runs per build, medians, idle %s\n",
		runtime.NumCPU(), cpuModel(), loadAverage(), *runs, *idle)
}

// buildRef builds cmd/aggkit at ref from `git archive`, in dir.
func buildRef(ref, dir, bin string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	archive := exec.Command("sh", "-c", fmt.Sprintf("git archive --format=tar %q | tar -x -C %q", ref, dir))
	archive.Stderr = os.Stderr
	if err := archive.Run(); err != nil {
		return fmt.Errorf("git archive %s: %w", ref, err)
	}
	return goBuild(dir, bin)
}

func goBuild(dir, bin string) error {
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/aggkit")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func short(name string) string {
	if len(name) > 10 {
		return name[:10]
	}
	return name
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown CPU"
}

func loadAverage() string {
	data, _ := os.ReadFile("/proc/loadavg")
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}
