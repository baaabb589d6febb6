package topology

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/aggkit/aggkit/pkg/childprocess"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// EtcdMember is one member of the cluster: the real etcd server (built from
// the module go.mod pins) in its own process.
type EtcdMember struct {
	Name      string
	dataDir   string
	clientURL string
	peerURL   string
	args      []string
	proc      *childprocess.Process
	logPath   string
}

// EtcdCluster is a three-member cluster on loopback.
type EtcdCluster struct {
	t       testing.TB
	bin     string
	Members []*EtcdMember
}

func StartEtcdCluster(t testing.TB, size int) *EtcdCluster {
	t.Helper()
	bin, err := framework.BuildPackage(framework.EtcdPackage)
	if err != nil {
		t.Fatal(err)
	}
	c := &EtcdCluster{t: t, bin: bin}
	var initial []string
	for i := range size {
		m := &EtcdMember{
			Name:      fmt.Sprintf("m%d", i),
			dataDir:   t.TempDir(),
			clientURL: fmt.Sprintf("http://127.0.0.1:%d", framework.FreePort(t)),
			peerURL:   fmt.Sprintf("http://127.0.0.1:%d", framework.FreePort(t)),
		}
		initial = append(initial, m.Name+"="+m.peerURL)
		c.Members = append(c.Members, m)
	}
	for _, m := range c.Members {
		m.args = []string{"--name", m.Name, "--data-dir", m.dataDir,
			"--listen-client-urls", m.clientURL, "--advertise-client-urls", m.clientURL,
			"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", "aggkit-chaos", "--log-level", "warn"}
		c.start(m)
	}
	t.Cleanup(func() {
		for _, m := range c.Members {
			c.Kill(m)
		}
	})
	for _, m := range c.Members {
		if err := c.waitHealthy(m, 60*time.Second); err != nil {
			t.Fatalf("etcd %s: %v\n%s", m.Name, err, m.Log())
		}
	}
	return c
}

func (c *EtcdCluster) start(m *EtcdMember) {
	c.t.Helper()
	m.logPath = filepath.Join(m.dataDir, fmt.Sprintf("etcd-%d.log", time.Now().UnixNano()))
	var err error
	if m.proc, err = childprocess.Start(c.bin, m.args, m.logPath, 0); err != nil {
		c.t.Fatal(err)
	}
}

// Kill ends a member with SIGKILL and waits until it is gone.
func (c *EtcdCluster) Kill(m *EtcdMember) {
	if m.proc != nil {
		m.proc.Kill()
	}
}

// Restart starts a killed member again on its data and waits until it
// serves.
func (c *EtcdCluster) Restart(m *EtcdMember) error {
	c.start(m)
	return c.waitHealthy(m, 60*time.Second)
}

func (m *EtcdMember) Log() string {
	data, _ := os.ReadFile(m.logPath)
	return string(data)
}

// ClientURLs is the --etcd-servers value for the whole cluster.
func (c *EtcdCluster) ClientURLs() []string {
	var urls []string
	for _, m := range c.Members {
		urls = append(urls, m.clientURL)
	}
	return urls
}

func (c *EtcdCluster) waitHealthy(m *EtcdMember, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return m.proc.Until(ctx, "etcd "+m.Name, 100*time.Millisecond, func(context.Context) error {
		_, err := c.Status(m)
		return err
	})
}

// Status asks one member for its view of the cluster; it fails while the
// member has no leader.
func (c *EtcdCluster) Status(m *EtcdMember) (*clientv3.StatusResponse, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{m.clientURL}, DialTimeout: time.Second, Logger: quietZap})
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := cli.Status(ctx, m.clientURL)
	if err == nil && st.Leader == 0 {
		err = fmt.Errorf("no leader")
	}
	return st, err
}

// Leader is the member that currently leads, as the Members see it.
func (c *EtcdCluster) Leader() (*EtcdMember, error) {
	for _, m := range c.Members {
		st, err := c.Status(m)
		if err != nil {
			continue
		}
		for _, other := range c.Members {
			if ost, err := c.Status(other); err == nil && ost.Header.MemberId == st.Leader {
				return other, nil
			}
		}
	}
	return nil, fmt.Errorf("no member knows a leader")
}

// quietZap keeps the etcd client's retry warnings out of the test output.
var quietZap = zap.NewNop()
