package controlplane

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// retryAfterSeconds is the wait suggested after etcd lost its leader: an
// election on etcd's defaults takes one to two seconds.
const retryAfterSeconds = 1

// errWriteTimeout is the cause of a write's context when its deadline fired.
var errWriteTimeout = errors.New("etcd write timeout")

// writeDeadline is a write's context with a deadline that counts only while
// armed: the time spent waiting on etcd, not in admission callbacks.
type writeDeadline struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timeout time.Duration

	mu    sync.Mutex
	timer *time.Timer
}

func (s *etcdErrorStorage) startWrite(parent context.Context) *writeDeadline {
	ctx, cancel := context.WithCancelCause(parent)
	return &writeDeadline{ctx: ctx, cancel: cancel, timeout: s.writeTimeout}
}

func (w *writeDeadline) arm() {
	if w.timeout <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer == nil {
		w.timer = time.AfterFunc(w.timeout, func() { w.cancel(errWriteTimeout) })
	}
}

func (w *writeDeadline) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

func (w *writeDeadline) done() {
	w.disarm()
	w.cancel(context.Canceled)
}

// expired is true when the write failed because its own deadline fired.
func (w *writeDeadline) expired() bool {
	return errors.Is(context.Cause(w.ctx), errWriteTimeout)
}

// isEtcdUnavailable recognises etcd's answers when it cannot commit for now:
// no leader, a leader change, a proposal that timed out, a stopped member,
// or no member reachable. etcd gives all of them gRPC code Unavailable.
func isEtcdUnavailable(err error) bool {
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		return etcdErr.Code() == codes.Unavailable
	}
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.Unavailable
}

// etcdUnavailable is the 503 a client retries (client-go does so by itself,
// following Retry-After). A write that timed out may still be committed:
// a retried create then answers AlreadyExists, a retried update Conflict.
func etcdUnavailable(reason string, mayBeStored bool) *apierrors.StatusError {
	msg := "etcd is unavailable, most likely electing a leader (" + reason + "); the write was not stored, retry it"
	if mayBeStored {
		msg = "etcd is unavailable, most likely electing a leader (" + reason + "); the write may or may not have been stored, retry it"
	}
	return retryLater(msg)
}

// etcdUnavailableRead is the 503 for a read (or the read before a delete)
// that etcd could not answer.
func etcdUnavailableRead(reason string) *apierrors.StatusError {
	return retryLater("etcd is unavailable, most likely electing a leader (" + reason + "); nothing was read or changed, retry it")
}

func retryLater(msg string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusServiceUnavailable,
		Reason:  metav1.StatusReasonServiceUnavailable,
		Message: msg,
		Details: &metav1.StatusDetails{RetryAfterSeconds: retryAfterSeconds},
	}}
}
