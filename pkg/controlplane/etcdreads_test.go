package controlplane

import (
	"context"
	"net/http"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/storage"
)

// slowReads stands for a read that takes a while on its own (a large
// list): Get waits d, or until its context ends.
type slowReads struct {
	storage.Interface
	d time.Duration
}

func (s slowReads) Get(ctx context.Context, _ string, _ storage.GetOptions, _ runtime.Object) error {
	select {
	case <-time.After(s.d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestSlowReadKeptWhileEtcdHasLeader: a read that outlasts the wait is
// left alone while a real etcd cluster has a leader, and given up with a
// 503 to retry once two of its three members are stopped. A read that meets
// its own request deadline keeps that error (the 504).
func TestSlowReadKeptWhileEtcdHasLeader(t *testing.T) {
	members, stop := startEtcdMembers(t, 3)
	var endpoints []string
	for _, m := range members {
		endpoints = append(endpoints, "http://"+m.Clients[0].Addr().String())
	}
	s := &etcdErrorStorage{Interface: slowReads{d: 2 * time.Second}, writeTimeout: 200 * time.Millisecond,
		leader: &etcdLeaderCheck{endpoints: endpoints}}

	if err := s.Get(context.Background(), "k", storage.GetOptions{}, nil); err != nil {
		t.Fatalf("a 2 s read with etcd healthy, checked every 200 ms: %v, want it to finish", err)
	}

	deadline, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Get(deadline, "k", storage.GetOptions{}, nil); err != context.DeadlineExceeded {
		t.Errorf("a read past its own deadline: %v, want context.DeadlineExceeded (answered 504)", err)
	}

	stop[1]()
	stop[2]()
	// The survivor knows it has no leader only after an election timeout
	// (a leader steps down by CheckQuorum); a read checked before that is
	// rightly left to wait.
	for gone := time.Now().Add(time.Minute); members[0].Server.Leader() != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(gone) {
			t.Fatal("the surviving etcd member still reports a leader a minute after losing quorum")
		}
	}
	time.Sleep(leaderCheckReuse) // the healthy verdict above is no longer reused
	err := s.Get(context.Background(), "k", storage.GetOptions{}, nil)
	status, ok := err.(*apierrors.StatusError)
	if !ok || status.ErrStatus.Code != http.StatusServiceUnavailable || status.ErrStatus.Details.RetryAfterSeconds != 1 {
		t.Fatalf("a read with no etcd leader: %v, want a 503 with Retry-After", err)
	}
	t.Logf("with no leader: %s", status.ErrStatus.Message)
}
