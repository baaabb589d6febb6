package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestEtcdWithoutLeaderIs503 runs a control plane on a real 3-member etcd
// cluster, stops two members so the third has no leader, and sends every
// verb: each answers 503 ServiceUnavailable with Retry-After and a message
// that says to retry, within --etcd-write-timeout for writes and etcd's own
// request timeout for reads, well inside the request timeout. Without the
// bound writes hang until the request timeout and answer 504 with no
// Retry-After; without the translation reads and deletes answer 504 or 500.
func TestEtcdWithoutLeaderIs503(t *testing.T) {
	members, stop := startEtcdMembers(t, 3)
	ts := startServer(t, func(o *Options) {
		for _, m := range members {
			o.Etcd.Servers = append(o.Etcd.Servers, "http://"+m.Clients[0].Addr().String())
		}
		o.Etcd.WriteTimeout = 3 * time.Second
		o.RequestTimeout = 30 * time.Second
	})
	const existing, doomed = "stored-before", "deleted-during"
	for _, name := range []string{existing, doomed} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := ts.client.CoreV1().ConfigMaps("default").Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create while etcd is healthy: %v", err)
		}
	}

	stop[1]()
	stop[2]()

	path := "/api/v1/namespaces/default/configmaps"
	const jsonType = "application/json"
	requests := []struct{ verb, method, path, contentType, body string }{
		{"create", http.MethodPost, path, jsonType, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"during"}}`},
		{"update", http.MethodPut, path + "/" + existing, jsonType, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + existing + `"},"data":{"a":"b"}}`},
		{"patch", http.MethodPatch, path + "/" + existing, "application/merge-patch+json", `{"data":{"c":"d"}}`},
		{"delete", http.MethodDelete, path + "/" + doomed, jsonType, ``},
		{"get", http.MethodGet, path + "/" + existing, jsonType, ``},
		{"list", http.MethodGet, path, jsonType, ``},
		{"list all namespaces", http.MethodGet, "/api/v1/configmaps", jsonType, ``},
		{"get namespace", http.MethodGet, "/api/v1/namespaces/default", jsonType, ``},
	}
	var wg sync.WaitGroup
	for _, r := range requests {
		wg.Go(func() {
			began := time.Now()
			code, header, status := send(t, ts.admin, r.method, r.path, r.contentType, r.body)
			t.Logf("%s: %d after %v, Retry-After=%q %s: %s", r.verb, code, time.Since(began).Round(100*time.Millisecond), header.Get("Retry-After"), status.Reason, status.Message)
			if code != http.StatusServiceUnavailable || status.Reason != metav1.StatusReasonServiceUnavailable {
				t.Errorf("%s without an etcd leader: %d %s %q, want 503 ServiceUnavailable", r.verb, code, status.Reason, status.Message)
			}
			if header.Get("Retry-After") != "1" || status.Details == nil || status.Details.RetryAfterSeconds != 1 {
				t.Errorf("%s: Retry-After header %q, details %+v, want 1 second", r.verb, header.Get("Retry-After"), status.Details)
			}
			if !strings.Contains(status.Message, "retry") {
				t.Errorf("%s: message %q does not say to retry", r.verb, status.Message)
			}
		})
	}
	wg.Wait()
}

// send makes one request with the admin's credentials and no client-go
// retries (client-go would follow the Retry-After), returning the Status.
// It may run outside the test's goroutine: failures are errors, not fatal.
func send(t *testing.T, cfg *rest.Config, method, path, contentType, body string) (int, http.Header, *metav1.Status) {
	t.Helper()
	status := &metav1.Status{}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Error(err)
		return 0, http.Header{}, status
	}
	req, err := http.NewRequest(method, cfg.Host+path, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, http.Header{}, status
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, http.Header{}, status
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, status); err != nil {
		t.Errorf("%s %s: %d %q is not a Status", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode, resp.Header, status
}

// startEtcdMembers starts an etcd cluster of n embedded members on
// loopback and waits until it has a leader; stop[i] stops member i.
func startEtcdMembers(t *testing.T, n int) (members []*embed.Etcd, stop []func()) {
	t.Helper()
	var peers, clients []url.URL
	var initial []string
	for i := range n {
		peers = append(peers, url.URL{Scheme: "http", Host: freeLoopback(t)})
		clients = append(clients, url.URL{Scheme: "http", Host: freeLoopback(t)})
		initial = append(initial, fmt.Sprintf("m%d=%s", i, peers[i].String()))
	}
	for i := range n {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = t.TempDir()
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = peers[i:i+1], peers[i:i+1]
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = clients[i:i+1], clients[i:i+1]
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "aggkit-no-leader"
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, e)
		// Close twice panics; the test stops some members itself.
		stop = append(stop, sync.OnceFunc(e.Close))
		t.Cleanup(stop[i])
	}
	for _, e := range members {
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(60 * time.Second):
			t.Fatal("etcd cluster not ready after 60s")
		}
	}
	return members, stop
}

func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestEtcdUnavailableErrors checks the classification on etcd's own error
// values, as the server sends them and as its client hands them on: every
// "cannot commit now" answer is a 503 to retry, others stay as they are.
func TestEtcdUnavailableErrors(t *testing.T) {
	s := &etcdErrorStorage{}
	w := s.startWrite(context.Background())
	defer w.done()
	for _, err := range []error{rpctypes.ErrGRPCNoLeader, rpctypes.ErrGRPCTimeout, rpctypes.ErrGRPCTimeoutDueToLeaderFail,
		rpctypes.ErrGRPCLeaderChanged, rpctypes.ErrTimeout, rpctypes.ErrNoLeader, fmt.Errorf("wrapped: %w", rpctypes.ErrTimeoutDueToConnectionLost)} {
		got, ok := s.translate(w, err).(*apierrors.StatusError)
		if !ok || got.ErrStatus.Code != http.StatusServiceUnavailable || got.ErrStatus.Details.RetryAfterSeconds != 1 {
			t.Errorf("%v: %v, want a 503 with Retry-After", err, got)
		}
	}
	for _, err := range []error{rpctypes.ErrGRPCCompacted, rpctypes.ErrGRPCPermissionDenied, fmt.Errorf("other")} {
		if got := s.translate(w, err); got != err {
			t.Errorf("%v: translated to %v, want it unchanged", err, got)
		}
	}
}
