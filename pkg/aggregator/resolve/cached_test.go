package resolve

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// countingResolver counts how often the cache asks the real resolver.
type countingResolver struct {
	inner Resolver
	calls atomic.Int32
}

func (r *countingResolver) Resolve(namespace, name string, port int32) ([]string, error) {
	r.calls.Add(1)
	return r.inner.Resolve(namespace, name, port)
}

func TestCachedFollowsInformerEvents(t *testing.T) {
	client := fake.NewClientset(service(nil),
		slice("api-1", discoveryv1.AddressTypeIPv4, "https", 8443, ep{addr: "10.1.0.1"}))
	// The fake loses deletions made between an informer's list and its
	// watch, so wait for all three watches before changing anything.
	var watches sync.WaitGroup
	watches.Add(3)
	client.PrependWatchReactor("*", func(action clienttesting.Action) (bool, watch.Interface, error) {
		w, err := client.Tracker().Watch(action.GetResource(), action.GetNamespace(), action.(clienttesting.WatchActionImpl).ListOptions)
		watches.Done()
		return true, w, err
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	core, discovery := factory.Core().V1(), factory.Discovery().V1()
	counting := &countingResolver{inner: NewEndpointResolver(core.Services().Lister(), discovery.EndpointSlices().Lister(), core.Endpoints().Lister())}
	cached := NewCached(counting)
	for _, err := range []error{
		cached.InvalidateOn(core.Services().Informer()),
		cached.InvalidateOn(core.Endpoints().Informer()),
		cached.InvalidateOn(discovery.EndpointSlices().Informer()),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	watches.Wait()

	resolveEventually := func(what string, want []string, wantReason string) {
		t.Helper()
		var got []string
		var gotErr error
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			got, gotErr = cached.Resolve(ns, svcName, 443)
			if wantReason != "" {
				var re *Error
				return errors.As(gotErr, &re) && re.Reason == wantReason, nil
			}
			return gotErr == nil && slices.Equal(got, want), nil
		})
		if err != nil {
			t.Fatalf("%s: resolved %v, %v; want %v %s", what, got, gotErr, want, wantReason)
		}
	}

	resolveEventually("first answer", []string{"10.1.0.1:8443"}, "")
	before := counting.calls.Load()
	for range 10 {
		if got, err := cached.Resolve(ns, svcName, 443); err != nil || !slices.Equal(got, []string{"10.1.0.1:8443"}) {
			t.Fatalf("cached answer: %v, %v", got, err)
		}
	}
	if calls := counting.calls.Load() - before; calls != 0 {
		t.Errorf("10 repeated resolves asked the listers %d times, want 0", calls)
	}

	// A second ready endpoint shows once its slice event arrives.
	second := slice("api-2", discoveryv1.AddressTypeIPv4, "https", 8443, ep{addr: "10.1.0.2", ready: ptr.To(true)})
	if _, err := client.DiscoveryV1().EndpointSlices(ns).Create(ctx, second, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	resolveEventually("after a new slice", []string{"10.1.0.1:8443", "10.1.0.2:8443"}, "")

	// The Service port changes: the APIService's port no longer matches.
	svc := service(func(s *corev1.Service) { s.Spec.Ports[0].Port = 444 })
	if _, err := client.CoreV1().Services(ns).Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	resolveEventually("after the port changed", nil, ReasonServicePortError)

	if err := client.CoreV1().Services(ns).Delete(ctx, svcName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	resolveEventually("after the Service went", nil, ReasonServiceNotFound)
}

// An event that arrives while an answer is being computed may describe a
// state the answer predates: the answer is returned but not kept.
func TestCachedDropsAnswersRacingAnEvent(t *testing.T) {
	var cached *Cached
	calls := 0
	cached = NewCached(ResolverFunc(func(namespace, name string, port int32) ([]string, error) {
		calls++
		if calls == 1 {
			cached.Invalidate(namespace, name)
		}
		return []string{"10.0.0.1:443"}, nil
	}))
	for range 3 {
		if _, err := cached.Resolve(ns, svcName, 443); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("resolver asked %d times, want 2: the answer computed across an invalidation must not be kept", calls)
	}
}

// Events name the Service they concern, and only its answers are dropped.
func TestCachedForgetsOnlyTheServiceAnEventNames(t *testing.T) {
	otherSlice := slice("other-1", discoveryv1.AddressTypeIPv4, "https", 8443)
	otherSlice.Labels[discoveryv1.LabelServiceName] = "other"
	unlabelled := slice("loose", discoveryv1.AddressTypeIPv4, "https", 8443)
	delete(unlabelled.Labels, discoveryv1.LabelServiceName)
	tests := []struct {
		obj    any
		want   string
		wantOK bool
	}{
		{obj: service(nil), want: svcName, wantOK: true},
		{obj: &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svcName}}, want: svcName, wantOK: true},
		{obj: slice("api-1", discoveryv1.AddressTypeIPv4, "https", 8443), want: svcName, wantOK: true},
		{obj: otherSlice, want: "other", wantOK: true},
		{obj: unlabelled, wantOK: false},
		{obj: cache.DeletedFinalStateUnknown{Key: ns + "/other-1", Obj: otherSlice}, want: "other", wantOK: true},
		{obj: &corev1.ConfigMap{}, wantOK: false},
	}
	for _, tt := range tests {
		got, ok := ServiceOf(tt.obj)
		if ok != tt.wantOK || (ok && (got.Namespace != ns || got.Name != tt.want)) {
			t.Errorf("ServiceOf(%T %v) = %v, %v; want %s/%s, %v", tt.obj, tt.obj, got, ok, ns, tt.want, tt.wantOK)
		}
	}

	calls := 0
	cached := NewCached(ResolverFunc(func(namespace, name string, port int32) ([]string, error) {
		calls++
		return []string{"10.0.0.1:443"}, nil
	}))
	resolve := func() {
		if _, err := cached.Resolve(ns, svcName, 443); err != nil {
			t.Fatal(err)
		}
	}
	resolve()
	cached.Invalidate(ns, "other")
	cached.Invalidate("elsewhere", svcName)
	resolve()
	if calls != 1 {
		t.Fatalf("resolver asked %d times; other Services' events must keep this answer", calls)
	}
	cached.Invalidate(ns, svcName)
	resolve()
	if calls != 2 {
		t.Errorf("resolver asked %d times, want 2: this Service's event must drop its answer", calls)
	}
}
