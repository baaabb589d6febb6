package e2e

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestAggregatedFailover: with two endpoints behind the Service, killing
// one while requests stream through aggkit loses none of them.
func TestAggregatedFailover(t *testing.T) {
	s := framework.StartAggregatedSample(t)
	s.Replica("127.0.0.2")
	s.Kubectl.Apply(fmt.Sprintf(`{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"api","namespace":"wardle"},
		"subsets":[{"addresses":[{"ip":"127.0.0.1"},{"ip":"127.0.0.2"}],"ports":[{"name":"https","port":%d}]}]}`, s.Port))

	cfg := s.Aggkit.RESTConfig()
	cfg.Timeout = 10 * time.Second
	cfg.QPS, cfg.Burst = -1, 0
	client := dynamic.NewForConfigOrDie(cfg)
	flunders := client.Resource(schema.GroupVersionResource{Group: "wardle.example.com", Version: "v1alpha1", Resource: "flunders"}).Namespace("default")
	var ok, failed atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := flunders.List(context.Background(), listOptions()); err != nil {
				failed.Add(1)
				lastErr.Store(err.Error())
			} else {
				ok.Add(1)
			}
		}
	}()
	framework.Eventually(t, 30*time.Second, func() bool { return ok.Load() >= 50 }, func() string { return "requests are not flowing" })
	s.Sample.Stop() // the 127.0.0.1 endpoint dies mid-stream
	before := ok.Load()
	framework.Eventually(t, 30*time.Second, func() bool { return ok.Load() >= before+200 }, func() string {
		return fmt.Sprintf("requests stopped after the kill: ok=%d failed=%d last=%v", ok.Load(), failed.Load(), lastErr.Load())
	})
	close(stop)
	<-done
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed while an endpoint died; last: %v", failed.Load(), ok.Load()+failed.Load(), lastErr.Load())
	}
	t.Logf("%d requests, none failed, across the loss of one of two endpoints", ok.Load())
}
