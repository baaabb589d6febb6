package nsdelete

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	discoveryfake "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
)

// newTestController builds a controller on fakes, without delay for new
// namespaces.
func newTestController(t *testing.T, core *k8sfake.Clientset, objects ...runtime.Object) (*Controller, informers.SharedInformerFactory, *metadatafake.FakeMetadataClient) {
	t.Helper()
	factory := informers.NewSharedInformerFactory(core, 0)
	disc := &discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: servedResources()}}
	md := newMetadataClient(t, objects...)
	c := New(core, md, disc, factory.Core().V1().Namespaces())
	c.GracePeriod = 0
	return c, factory, md
}

func TestEnqueueOnlyTerminatingNamespaces(t *testing.T) {
	active := terminating("active")
	active.DeletionTimestamp = nil
	tests := []struct {
		name string
		obj  interface{}
		want int
	}{
		{"terminating namespace", terminating(doomed, corev1.FinalizerKubernetes), 1},
		{"active namespace", active, 0},
		{"not a namespace", &corev1.ConfigMap{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestController(t, k8sfake.NewClientset())
			defer c.queue.ShutDown()
			c.enqueue(tt.obj)
			if got := c.queue.Len(); got != tt.want {
				t.Errorf("queue length = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestProcessNextItemRequeues(t *testing.T) {
	tests := []struct {
		name         string
		syncErr      error
		wantRequeues int
	}{
		{name: "done", syncErr: nil, wantRequeues: 0},
		{name: "content remaining", syncErr: &contentRemainingError{namespace: doomed, objects: 2}, wantRequeues: 1},
		{name: "failure", syncErr: errors.New("boom"), wantRequeues: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestController(t, k8sfake.NewClientset())
			defer c.queue.ShutDown()
			var synced []string
			c.sync = func(_ context.Context, key string) error {
				synced = append(synced, key)
				return tt.syncErr
			}
			// A previous failure, which success must forget.
			c.queue.AddRateLimited(doomed)
			c.queue.Forget(doomed)
			c.queue.Add(doomed)
			c.queue.AddRateLimited("other")

			if !c.processNextItem(context.Background()) {
				t.Fatal("processNextItem reported shutdown")
			}
			if len(synced) != 1 || synced[0] != doomed {
				t.Errorf("synced %v, want [%s]", synced, doomed)
			}
			if got := c.queue.NumRequeues(doomed); got != tt.wantRequeues {
				t.Errorf("requeues = %d, want %d", got, tt.wantRequeues)
			}
		})
	}
}

// TestControllerRun runs the whole controller against fakes: a namespace with
// content held by a finalizer stays, with conditions saying why, until the
// finalizer is released; then it is finalized and deleted.
func TestControllerRun(t *testing.T) {
	ns := terminating(doomed, corev1.FinalizerKubernetes)
	ns.DeletionTimestamp = &metav1.Time{Time: time.Now().Add(-time.Minute)}
	core := k8sfake.NewClientset(ns)
	c, factory, md := newTestController(t, core,
		object(configMaps, "ConfigMap", doomed, "a"),
		object(widgets, "Widget", doomed, "w", "example.com/hold"),
	)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, 2)
	}()

	waitFor(t, "the finalizer to be reported", func() bool {
		got, err := core.CoreV1().Namespaces().Get(ctx, doomed, metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == corev1.NamespaceFinalizersRemaining && cond.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	})
	got, err := core.CoreV1().Namespaces().Get(ctx, doomed, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spec.Finalizers) != 1 {
		t.Fatalf("finalizers = %v while content remains", got.Spec.Finalizers)
	}

	// The holder releases the widget; the server removes it. Nothing about
	// the namespace changes, so only the controller's retries notice.
	if err := md.Tracker().Delete(widgets, doomed, "w"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the namespace to be deleted", func() bool {
		_, err := core.CoreV1().Namespaces().Get(ctx, doomed, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	cancel()
	<-done
}

// waitFor polls cond until it holds; the timeout only stops a broken test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
