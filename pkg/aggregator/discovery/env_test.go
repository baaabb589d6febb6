package discovery

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
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
}

func newAPIServiceEnv(t *testing.T, existing ...*apiregistrationv1.APIService) *apiServiceEnv {
	t.Helper()
	client := fake.NewSimpleClientset()
	for _, a := range existing {
		if _, err := client.ApiregistrationV1().APIServices().Create(context.Background(), a, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	return &apiServiceEnv{t: t, ctx: t.Context(), client: client, factory: factory, informer: factory.Apiregistration().V1().APIServices()}
}

// start runs the informers and waits for their caches.
func (e *apiServiceEnv) start() {
	e.factory.Start(e.ctx.Done())
	e.factory.WaitForCacheSync(e.ctx.Done())
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
