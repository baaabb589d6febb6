package proxy

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// aggkitCPUProfile, when set, is where the c=64 run through aggkit saves a
// CPU profile of the aggkit process, taken from its /debug/pprof endpoint:
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/proxy -aggkit-cpuprofile /tmp/aggkit.pprof
var aggkitCPUProfile = flag.String("aggkit-cpuprofile", "", "write a CPU profile of aggkit during the c=64 run through it to this file")

// profileDuring starts a CPU profile of aggkit lasting d (when asked for) and
// returns a function that waits for it and writes it out.
func profileDuring(b *testing.B, t target, d time.Duration) (wait func()) {
	if *aggkitCPUProfile == "" {
		return func() {}
	}
	u, err := url.Parse(t.url)
	if err != nil {
		b.Fatal(err)
	}
	u.Path, u.RawQuery = "/debug/pprof/profile", fmt.Sprintf("seconds=%d", int(d.Seconds()))
	done := make(chan error, 1)
	go func() {
		resp, err := t.client.Get(u.String())
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(*aggkitCPUProfile)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		done <- err
	}()
	return func() {
		if err := <-done; err != nil {
			b.Logf("aggkit CPU profile: %v", err)
		}
	}
}

// establishedTo counts the established TCP connections whose remote end is
// 127.0.0.1:port, from /proc/net/tcp (so the whole machine, both ends' view
// of the peer address).
func establishedTo(port int) int {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return -1
	}
	defer f.Close()
	want := strings.ToUpper("0100007F:" + fmt.Sprintf("%04x", port))
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 3 && fields[2] == want && fields[3] == "01" {
			n++
		}
	}
	return n
}

func portOf(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

// pidListeningOn finds the process holding the listening TCP socket of port,
// through /proc, or 0.
func pidListeningOn(port int) int {
	inode := ""
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) > 9 && fields[3] == "0A" && strings.HasSuffix(fields[1], fmt.Sprintf(":%04X", port)) {
				inode = fields[9]
			}
		}
	}
	if inode == "" {
		return 0
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			if link, _ := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); link == "socket:["+inode+"]" {
				return pid
			}
		}
	}
	return 0
}

// cpuTime is the user+system CPU time pid has used, from /proc/<pid>/stat.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line, in clock ticks (100 per second).
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	fields := strings.Fields(rest)
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
