package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aggkit/aggkit/pkg/childprocess"
)

// sample is one start: time and CPU to ready, memory once idle (bytes).
type sample struct {
	ready, cpu      time.Duration
	rss, anon, file int64
}

// measure starts aggkit on dir, waits for /readyz ok, idles, reads memory,
// then stops it.
func measure(bin, dir string, idle time.Duration) sample {
	port, err := childprocess.FreePort()
	check(err)
	start := time.Now()
	proc, err := childprocess.Start(bin, []string{"serve", "--data-dir", dir, "--secure-port", strconv.Itoa(port), "-v=0"}, dir+".log", 20)
	check(err)
	defer proc.Stop(30 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Every 5 ms, not WaitReady's 50: the time to ready is the figure.
	if err := proc.Until(ctx, "aggkit serve", 5*time.Millisecond, childprocess.KubeconfigReadyz(filepath.Join(dir, "admin.kubeconfig"), port)); err != nil {
		check(fmt.Errorf("%w; see %s.log, which ends:\n%s", err, dir, proc.Tail("    ")))
	}
	s := sample{ready: time.Since(start), cpu: cpuTime(proc.Pid())}
	time.Sleep(idle)
	s.rss, s.anon, s.file = memory(proc.Pid())
	return s
}

// cpuTime is the user and system time the process has used.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	check(err)
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th, in clock ticks (100 a second on Linux).
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// memory reads VmRSS, RssAnon and RssFile (+RssShmem, none here) in bytes.
func memory(pid int) (rss, anon, file int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "RssAnon:":
			anon = kb << 10
		case "RssFile:", "RssShmem:":
			file += kb << 10
		}
	}
	return rss, anon, file
}
