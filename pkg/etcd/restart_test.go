package etcd

import (
	"context"
	"os"
	"runtime"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/aggkit/aggkit/pkg/footprint"
)

// TestRestartDoesNotHoldTheBackend: etcd maps its backend file with
// MAP_POPULATE, so a restart would read all of it (16 MiB after the first
// start, sparse) into the resident set. After StartEmbedded only what etcd
// reads stays; the data written before the restart is still there.
func TestRestartDoesNotHoldTheBackend(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("resident pages are read from /proc/self/smaps")
	}
	dir := t.TempDir()
	first, err := StartEmbedded(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	put(t, first.ClientURL, "kept", "yes")
	first.Stop()

	second, err := StartEmbedded(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Stop()
	backend := second.etcd.Server.Cfg.BackendPath()
	info, err := os.Stat(backend)
	if err != nil {
		t.Fatal(err)
	}
	resident, err := footprint.Resident(backend)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backend file %d KiB, %d KiB of it resident after the restart", info.Size()>>10, resident>>10)
	if resident > info.Size()/4 {
		t.Errorf("%d of the backend's %d bytes resident after the restart: the populated mapping was kept", resident, info.Size())
	}
	if got := get(t, second.ClientURL, "kept"); got != "yes" {
		t.Errorf("value written before the restart: %q", got)
	}
}

func put(t *testing.T, url, key, value string) {
	t.Helper()
	c := client(t, url)
	if _, err := c.Put(context.Background(), key, value); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url, key string) string {
	t.Helper()
	resp, err := client(t, url).Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

func client(t *testing.T, url string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
