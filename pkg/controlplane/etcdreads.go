package controlplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/storage"
)

// leaderCheckTimeout bounds one Status call to one member.
const leaderCheckTimeout = time.Second

// leaderCheckReuse is how long one verdict answers every waiting read, so
// that many reads stuck at once cost one check, not one each.
const leaderCheckReuse = time.Second

// etcdDown is the cause given to a read's context when etcd had no leader.
type etcdDown struct{ reason string }

func (e *etcdDown) Error() string { return e.reason }

// etcdLeaderCheck says whether some etcd member reports a leader. etcd's
// client retries a read for as long as etcd has none, so a read only fails
// at the request deadline (504, no Retry-After); a read that has waited
// asks this instead, and gives up with a 503 to retry when there is none.
type etcdLeaderCheck struct {
	endpoints []string
	tls       *tls.Config

	mu        sync.Mutex
	checkedAt time.Time
	down      string // why etcd has no leader; empty when it has one
}

// leaderless reports why etcd has no reachable leader, or "" when a member
// reports one (or the check itself could not run: then the read waits on).
func (c *etcdLeaderCheck) leaderless() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checkedAt) < leaderCheckReuse {
		return c.down
	}
	c.down, c.checkedAt = c.check(), time.Now()
	return c.down
}

func (c *etcdLeaderCheck) check() string {
	client, err := clientv3.New(clientv3.Config{Endpoints: c.endpoints, TLS: c.tls, Logger: zap.NewNop()})
	if err != nil {
		return ""
	}
	defer client.Close()
	answers := make(chan error, len(c.endpoints))
	for _, ep := range c.endpoints {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), leaderCheckTimeout)
			defer cancel()
			status, err := client.Status(ctx, ep)
			switch {
			case err != nil:
				answers <- err
			case status.Leader == 0:
				answers <- errors.New("no leader")
			default:
				answers <- nil
			}
		}()
	}
	for range c.endpoints {
		if err := <-answers; err == nil {
			return ""
		}
	}
	return fmt.Sprintf("none of %d etcd members reports a leader", len(c.endpoints))
}

// readWait is a read's context, cancelled with etcdDown when, after each
// wait of timeout, etcd has no leader. A read on a healthy etcd is never
// cut short, however long it takes.
type readWait struct {
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	timer *time.Timer // nil once done
}

func (s *etcdErrorStorage) startRead(parent context.Context) *readWait {
	ctx, cancel := context.WithCancelCause(parent)
	r := &readWait{ctx: ctx, cancel: cancel}
	if s.writeTimeout > 0 && s.leader != nil {
		var check func()
		check = func() {
			if reason := s.leader.leaderless(); reason != "" {
				cancel(&etcdDown{reason: reason})
				return
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.timer != nil {
				r.timer = time.AfterFunc(s.writeTimeout, check)
			}
		}
		r.timer = time.AfterFunc(s.writeTimeout, check)
	}
	return r
}

func (r *readWait) done() {
	r.mu.Lock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.mu.Unlock()
	r.cancel(context.Canceled)
}

func (s *etcdErrorStorage) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	r := s.startRead(ctx)
	defer r.done()
	return translateRead(r, s.Interface.Get(r.ctx, key, opts, objPtr))
}

func (s *etcdErrorStorage) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	r := s.startRead(ctx)
	defer r.done()
	return translateRead(r, s.Interface.GetList(r.ctx, key, opts, listObj))
}

// translateRead answers 503 to retry when etcd had no leader; a read that
// failed for its own request deadline keeps its 504.
func translateRead(r *readWait, err error) error {
	if err == nil {
		return nil
	}
	if down := (*etcdDown)(nil); errors.As(context.Cause(r.ctx), &down) {
		return etcdUnavailableRead(down.reason)
	}
	if isEtcdUnavailable(err) {
		return etcdUnavailableRead(err.Error())
	}
	return err
}
