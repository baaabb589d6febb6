// Command startup measures `aggkit serve` on embedded etcd: time from
// process start to /readyz ok, and resident memory (etcd included, since it
// runs in the same process) once idle. Each run uses a fresh data directory;
// a second start on the same directory measures a restart.
//
//	go run ./bench/startup [-runs 3] [-idle 20s]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	runs := flag.Int("runs", 3, "fresh starts to measure (each followed by one restart)")
	idle := flag.Duration("idle", 20*time.Second, "how long to wait before reading idle memory")
	flag.Parse()

	work, err := os.MkdirTemp("", "aggkit-bench-startup-")
	check(err)
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "aggkit")
	build := exec.Command("go", "build", "-o", bin, "./cmd/aggkit")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	check(build.Run())

	var fresh, restart []time.Duration
	var rss []int
	fmt.Printf("%-4s %-8s %12s %14s\n", "run", "start", "to /readyz", "idle RSS")
	for i := 1; i <= *runs; i++ {
		dir := filepath.Join(work, fmt.Sprintf("data-%d", i))
		for _, kind := range []string{"fresh", "restart"} {
			ready, mem := measure(bin, dir, *idle)
			fmt.Printf("%-4d %-8s %12s %11d MiB\n", i, kind, ready.Round(time.Millisecond), mem/1024)
			if kind == "fresh" {
				fresh, rss = append(fresh, ready), append(rss, mem)
			} else {
				restart = append(restart, ready)
			}
		}
	}
	fmt.Printf("\nmedian to /readyz: fresh %s, restart %s; median idle RSS %d MiB\n",
		median(fresh).Round(time.Millisecond), median(restart).Round(time.Millisecond), medianInt(rss)/1024)
	fmt.Println("targets: under 1s to /readyz, under 80 MiB idle (kube-apiserver 1.37: 2.8s, 315 MiB + 41 MiB etcd)")
}

// measure starts aggkit on dir, returns the time to a ready /readyz and the
// VmRSS in KiB after idling, then stops it.
func measure(bin, dir string, idle time.Duration) (time.Duration, int) {
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
	for {
		if time.Now().After(deadline) {
			check(fmt.Errorf("aggkit not ready after 60s; see %s.log", dir))
		}
		if ready(kubeconfig, port) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	time.Sleep(idle)
	return took, vmRSS(cmd.Process.Pid)
}

func ready(kubeconfig string, port int) bool {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil || !strings.HasSuffix(cfg.Host, ":"+strconv.Itoa(port)) {
		return false // not written yet, or left from the previous run
	}
	cfg.Timeout = time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false
	}
	body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
	return err == nil && string(body) == "ok"
}

func vmRSS(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return kb
		}
	}
	return 0
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func medianInt(v []int) int {
	s := append([]int(nil), v...)
	sort.Ints(s)
	return s[len(s)/2]
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}
