package embeddedetcd

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/klog/v2"
)

// Config says where the embedded etcd keeps its data.
type Config struct {
	// DataDir holds the etcd member directory. Required.
	DataDir string
	// Ephemeral turns fsync off and removes DataDir on Stop: data lives
	// only as long as the process, which is what tests want.
	Ephemeral bool
}

// Server is a running embedded etcd member.
type Server struct {
	etcd      *embed.Etcd
	clientURL string
	cfg       Config
}

// Start launches etcd on loopback ports chosen by the kernel and waits until
// it serves.
func Start(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("embedded etcd: data directory is required")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd: create data directory %s: %w", cfg.DataDir, err)
	}
	ec := embed.NewConfig()
	ec.Name = "extension"
	ec.Dir = cfg.DataDir
	ec.LogLevel = "error"
	ec.UnsafeNoFsync = cfg.Ephemeral
	// Port 0 lets several servers (and several tests) run side by side.
	loopback := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	ec.ListenClientUrls = []url.URL{loopback}
	ec.AdvertiseClientUrls = []url.URL{loopback}
	ec.ListenPeerUrls = []url.URL{loopback}
	ec.AdvertisePeerUrls = []url.URL{loopback}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	// The peer listener is never used by a single member; keep metrics off
	// the default registry noise.
	ec.Metrics = "basic"

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("embedded etcd: start in %s: %w", cfg.DataDir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd: failed before ready: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd: not ready after 60s in %s", cfg.DataDir)
	}
	s := &Server{etcd: e, cfg: cfg, clientURL: "http://" + e.Clients[0].Addr().String()}
	klog.V(2).InfoS("Embedded etcd ready", "dataDir", cfg.DataDir, "url", s.clientURL, "ephemeral", cfg.Ephemeral)
	return s, nil
}

// ClientURL is the address to give to etcd clients (--etcd-servers).
func (s *Server) ClientURL() string { return s.clientURL }

// Stop shuts etcd down and, for an ephemeral store, removes its data.
func (s *Server) Stop() {
	s.etcd.Close()
	if s.cfg.Ephemeral {
		if err := os.RemoveAll(s.cfg.DataDir); err != nil {
			klog.ErrorS(err, "Removing ephemeral etcd data", "dataDir", s.cfg.DataDir)
		}
	}
}
