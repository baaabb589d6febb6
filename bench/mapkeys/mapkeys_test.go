// Package mapkeys measures what one request with a large map costs the
// server: a dry-run create of a ConfigMap with n keys, against an in-process
// `aggkit serve` on embedded etcd, as server CPU per request relative to the
// smallest n. Linear cost would double with n; managedFields tracking
// (structured-merge-diff inserting each key into a sorted set) makes it
// grow about fourfold. Run:
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/mapkeys
package mapkeys

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
)

var sizes = []int{10000, 20000, 40000, 80000}

func BenchmarkConfigMapKeys(b *testing.B) {
	client := startAggkit(b)
	cms := client.CoreV1().ConfigMaps(metav1.NamespaceDefault)
	cpu := make([]time.Duration, len(sizes))
	for range b.N {
		for i, n := range sizes {
			data := make(map[string]string, n)
			for k := range n {
				data[fmt.Sprintf("k%06d", k)] = "v"
			}
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("keys-%d", n)}, Data: data}
			// The client's encoding and the server's work share this
			// process; encoding is linear and small beside the server's.
			before := processCPU()
			if _, err := cms.Create(context.Background(), cm, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				b.Fatal(err)
			}
			cpu[i] += processCPU() - before
		}
	}
	fmt.Printf("%8s %12s %14s\n", "keys", "cpu ratio", "ratio per key")
	for i, n := range sizes {
		ratio := float64(cpu[i]) / float64(cpu[0])
		fmt.Printf("%8d %12.1f %14.2f\n", n, ratio, ratio*float64(sizes[0])/float64(n))
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startAggkit(b *testing.B) kubernetes.Interface {
	cp := inprocess.StartForTest(context.Background(), b)
	cfg := rest.CopyConfig(cp.Admin)
	cfg.QPS, cfg.Burst = -1, -1
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return client
}
