package embeddedetcd

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestDataSurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etcd")
	put := func(s *Server, key, value string) {
		c := client(t, s)
		if _, err := c.Put(context.Background(), key, value); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	s, err := Start(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	put(s, "/k", "v")
	s.Stop()

	s, err = Start(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	resp, err := client(t, s).Get(context.Background(), "/k")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("after restart got %v, want /k=v", resp.Kvs)
	}
}

func TestTwoEphemeralServersSideBySide(t *testing.T) {
	a, err := Start(Config{DataDir: filepath.Join(t.TempDir(), "a"), Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	b, err := Start(Config{DataDir: filepath.Join(t.TempDir(), "b"), Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	if a.ClientURL() == b.ClientURL() {
		t.Fatalf("both servers on %s", a.ClientURL())
	}
}

func client(t *testing.T, s *Server) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{s.ClientURL()}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
