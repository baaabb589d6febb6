package childprocess

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// PollReadyz asks host's /readyz until it answers ok. It gives up when ctx
// ends or when gone is closed (the server exited), with stopped's reason.
// The server may run in this process too: gone and stopped need not be a
// Process's.
func PollReadyz(ctx context.Context, client *http.Client, host, what string, gone <-chan struct{}, stopped func() error) error {
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, host+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/readyz: HTTP %d", resp.StatusCode)
		}
		last = err
		select {
		case <-gone:
			return fmt.Errorf("%s stopped before it was ready: %w", what, stopped())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last: %v)", what, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
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

// WaitReady is PollReadyz for a child process.
func (p *Process) WaitReady(ctx context.Context, client *http.Client, host, what string) error {
	return PollReadyz(ctx, client, host, what, p.exited, func() error { return errors.New(p.ExitReason()) })
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
