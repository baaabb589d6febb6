package runlocal

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// pollReadyz asks host's /readyz until it answers ok. It gives up when ctx
// ends or when gone is closed (the server exited), with stopped's reason.
func pollReadyz(ctx context.Context, client *http.Client, host, what string, gone <-chan struct{}, stopped func() error) error {
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
