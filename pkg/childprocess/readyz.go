package childprocess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// readyzInterval is how often PollReadyz and WaitReady ask.
const readyzInterval = 50 * time.Millisecond

// Until calls check every interval until it returns nil. It gives up when
// ctx ends, with check's last error, or when gone is closed (the server
// exited), with stopped's reason. The server may run in this process too:
// gone and stopped need not be a Process's.
func Until(ctx context.Context, what string, interval time.Duration, gone <-chan struct{}, stopped func() error, check func(context.Context) error) error {
	for {
		last := check(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-gone:
			return fmt.Errorf("%s stopped before it was ready: %w", what, stopped())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last: %v)", what, ctx.Err(), last)
		case <-time.After(interval):
		}
	}
}

// PollReadyz asks host's /readyz until it answers ok: Until with Readyz.
func PollReadyz(ctx context.Context, client *http.Client, host, what string, gone <-chan struct{}, stopped func() error) error {
	return Until(ctx, what, readyzInterval, gone, stopped, Readyz(client, host))
}

// Readyz is a check for Until: host's /readyz answers 200.
func Readyz(client *http.Client, host string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		// Read to the end so that the next poll reuses the connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: HTTP %d", resp.StatusCode)
		}
		return nil
	}
}

// KubeconfigReadyz is a check for one Until, for a server that writes its
// own admin kubeconfig as it starts (aggkit serve): ready once the file at
// path names the server on port and /readyz answers 200 to its
// credentials. A file left by an earlier run on another port does not
// count. The client is made once and kept, so that polling costs the
// starting server one TLS handshake, not one a poll.
func KubeconfigReadyz(path string, port int) func(context.Context) error {
	var ready func(context.Context) error
	return func(ctx context.Context) error {
		if ready == nil {
			cfg, err := clientcmd.BuildConfigFromFlags("", path)
			if err != nil {
				return err
			}
			if !strings.HasSuffix(cfg.Host, ":"+strconv.Itoa(port)) {
				return fmt.Errorf("%s names %s, not port %d", path, cfg.Host, port)
			}
			cfg.Timeout = time.Second
			client, err := rest.HTTPClientFor(cfg)
			if err != nil {
				return err
			}
			ready = Readyz(client, cfg.Host)
		}
		return ready(ctx)
	}
}

// UntilGone returns a context that ends with ctx or as soon as gone is
// closed: waits on a server (for /readyz, for Available) stop at once when
// it exits instead of running to their deadline.
func UntilGone(ctx context.Context, gone <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// Until is the package's Until for this child: it gives up, with how the
// child ended, as soon as it exits.
func (p *Process) Until(ctx context.Context, what string, interval time.Duration, check func(context.Context) error) error {
	return Until(ctx, what, interval, p.exited, func() error { return errors.New(p.ExitReason()) }, check)
}

// WaitReady is PollReadyz for a child process.
func (p *Process) WaitReady(ctx context.Context, client *http.Client, host, what string) error {
	return p.Until(ctx, what, readyzInterval, Readyz(client, host))
}

// FreePort asks the kernel for a loopback port nobody uses right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
