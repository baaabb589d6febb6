package discovery

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	clienttesting "k8s.io/client-go/testing"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/fake"
	informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions"
	apiregistrationv1informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions/apiregistration/v1"
)

// apiServiceEnv is a fake APIService API with a real informer over it.
type apiServiceEnv struct {
	t        *testing.T
	ctx      context.Context
	client   *fake.Clientset
	factory  informers.SharedInformerFactory
	informer apiregistrationv1informers.APIServiceInformer
	watching chan struct{}
}

func newAPIServiceEnv(t *testing.T, existing ...*apiregistrationv1.APIService) *apiServiceEnv {
	t.Helper()
	client := fake.NewSimpleClientset()
	for _, a := range existing {
		if _, err := client.ApiregistrationV1().APIServices().Create(context.Background(), a, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The fake tracker replays objects created between the informer's list
	// and its watch, but a deletion in that gap is lost for good; so start
	// waits until the watch is registered before the test changes anything.
	watching := make(chan struct{})
	var started sync.Once
	client.PrependWatchReactor("apiservices", func(action clienttesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if w, ok := action.(clienttesting.WatchActionImpl); ok {
			opts = w.ListOptions
		}
		w, err := client.Tracker().Watch(action.GetResource(), action.GetNamespace(), opts)
		started.Do(func() { close(watching) })
		return true, w, err
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	return &apiServiceEnv{t: t, ctx: t.Context(), client: client, factory: factory,
		informer: factory.Apiregistration().V1().APIServices(), watching: watching}
}

// start runs the informers and waits for their caches and their watch.
func (e *apiServiceEnv) start() {
	e.factory.Start(e.ctx.Done())
	e.factory.WaitForCacheSync(e.ctx.Done())
	select {
	case <-e.watching:
	case <-e.ctx.Done():
	}
}

func (e *apiServiceEnv) create(a *apiregistrationv1.APIService) {
	e.t.Helper()
	if _, err := e.client.ApiregistrationV1().APIServices().Create(e.ctx, a, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *apiServiceEnv) update(a *apiregistrationv1.APIService) {
	e.t.Helper()
	if _, err := e.client.ApiregistrationV1().APIServices().Update(e.ctx, a, metav1.UpdateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *apiServiceEnv) delete(name string) {
	e.t.Helper()
	if err := e.client.ApiregistrationV1().APIServices().Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// eventually waits until condition holds; it fails the test only if it
// never does within a generous bound, so it asserts an outcome, not a time.
func eventually(t *testing.T, what string, condition func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		ok, state := condition()
		last = state
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s never happened; last state: %s", what, last)
	}
}
