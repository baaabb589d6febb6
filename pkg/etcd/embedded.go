package etcd

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/footprint"
)

// startTimeout bounds how long an embedded member may take to become ready;
// a healthy single member on local disk is ready in well under a second.
const startTimeout = 60 * time.Second

// Embedded is a single-member etcd running inside this process, listening on
// loopback ports of its own choosing.
type Embedded struct {
	etcd     *embed.Etcd
	stopping *atomic.Bool
	// ClientURL is where the member serves its client API.
	ClientURL string
}

// StartEmbedded starts an etcd member that keeps its data under dir. A
// restart on the same dir finds the data written before.
func StartEmbedded(ctx context.Context, dir string) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name = "aggkit"
	cfg.Dir = dir
	cfg.WalDir = filepath.Join(dir, "wal")
	// Port 0 everywhere: several aggkit instances (and tests) share one machine.
	loopback := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls = []url.URL{loopback}
	cfg.AdvertiseClientUrls = []url.URL{loopback}
	cfg.ListenPeerUrls = []url.URL{loopback}
	cfg.AdvertisePeerUrls = []url.URL{loopback}
	cfg.InitialCluster = cfg.Name + "=" + loopback.String()
	cfg.LogLevel = "warn"
	stopping := &atomic.Bool{}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(newKlogLogger(stopping))
	// A single member keeps fewer raft entries in memory between snapshots;
	// the default (100k) costs tens of MiB on a busy store.
	cfg.SnapshotCount = 10000
	cfg.SnapshotCatchUpEntries = 5000
	// One voter: nothing can take leadership away from it, so the election
	// timeout only says how long every start waits for the first election.
	// etcd fast-forwards all but one tick of it, then waits a random 1 to
	// electionTicks more: 0.1 to 1 s at its defaults (100 ms ticks, 1 s
	// election), 10 to 50 ms here. etcd wants an election of 5 ticks or more.
	cfg.TickMs = 10
	cfg.ElectionMs = 5 * cfg.TickMs

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: %w", dir, err)
	case <-time.After(startTimeout):
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: not ready after %s", dir, startTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	clientURL := "http://" + e.Clients[0].Addr().String()
	// etcd maps its backend with MAP_POPULATE, which on a restart reads the
	// whole file (16 MiB and more, mostly never read again) into this
	// process's resident set; let the pages etcd reads come back on demand.
	released, err := footprint.ReleaseFile(e.Server.Cfg.BackendPath())
	if err != nil {
		klog.V(2).InfoS("Embedded etcd backend pages not released", "err", err)
	}
	klog.V(2).InfoS("Embedded etcd ready", "dir", dir, "url", clientURL, "backendReleasedBytes", released)
	return &Embedded{etcd: e, stopping: stopping, ClientURL: clientURL}, nil
}

// Stop shuts the member down and waits for it to release its files.
func (e *Embedded) Stop() {
	e.stopping.Store(true)
	e.etcd.Close()
}
