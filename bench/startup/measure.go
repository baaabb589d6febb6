package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// sample is one start: time and CPU to ready, memory once idle (bytes).
type sample struct {
	ready, cpu      time.Duration
	rss, anon, file int64
}

// measure starts aggkit on dir, waits for /readyz ok, idles, reads memory,
// then stops it.
func measure(bin, dir string, idle time.Duration) sample {
	port := freePort()
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--secure-port", strconv.Itoa(port), "-v=0")
	logFile, err := os.Create(dir + ".log")
	check(err)
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	check(cmd.Start())
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	kubeconfig := filepath.Join(dir, "admin.kubeconfig")
	deadline := start.Add(60 * time.Second)
	probe := readyProbe{kubeconfig: kubeconfig, port: port}
	for !probe.ready() {
		if time.Now().After(deadline) {
			check(fmt.Errorf("aggkit not ready after 60s; see %s.log", dir))
		}
		time.Sleep(5 * time.Millisecond)
	}
	s := sample{ready: time.Since(start), cpu: cpuTime(cmd.Process.Pid)}
	time.Sleep(idle)
	s.rss, s.anon, s.file = memory(cmd.Process.Pid)
	return s
}

// readyProbe asks /readyz as the admin over one kept-alive connection, so
// that polling does not cost the starting server a TLS handshake each time.
type readyProbe struct {
	kubeconfig string
	port       int
	client     kubernetes.Interface
}

func (p *readyProbe) ready() bool {
	if p.client == nil {
		cfg, err := clientcmd.BuildConfigFromFlags("", p.kubeconfig)
		if err != nil || !strings.HasSuffix(cfg.Host, ":"+strconv.Itoa(p.port)) {
			return false // not written yet, or left from the previous run
		}
		cfg.Timeout = time.Second
		if p.client, err = kubernetes.NewForConfig(cfg); err != nil {
			return false
		}
	}
	body, err := p.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
	return err == nil && string(body) == "ok"
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

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
