package aggregator

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/server/mux"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/fake"
	aggregatorinformers "k8s.io/kube-aggregator/pkg/client/informers/externalversions"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/proxy"
)

// registrationFixture is a registration over a real informer fed by a fake
// clientset, with the mux and proxy it keeps in step.
type registrationFixture struct {
	client *fake.Clientset
	mux    *mux.PathRecorderMux
	proxy  *proxy.Handler
	r      *registration
}

func newRegistrationFixture(t *testing.T, objects ...runtime.Object) *registrationFixture {
	t.Helper()
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	f := &registrationFixture{
		client: fake.NewClientset(objects...),
		mux:    mux.NewPathRecorderMux("registration-test"),
		proxy:  proxy.NewHandler(proxy.Config{Transports: backend.NewTransports(nil), Serializer: serializer.NewCodecFactory(scheme)}),
	}
	informers := aggregatorinformers.NewSharedInformerFactory(f.client, 0)
	var err error
	if f.r, err = newRegistration(f.mux, f.proxy, informers.Apiregistration().V1().APIServices()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		informers.Shutdown()
	})
	informers.Start(ctx.Done())
	return f
}

// run starts the controller and waits for its first round.
func (f *registrationFixture) run(t *testing.T, ctx context.Context) {
	t.Helper()
	go f.r.run(ctx, 2)
	select {
	case <-f.r.initiated():
	case <-ctx.Done():
		t.Fatal("registration never initiated")
	}
}

// status is what the mux answers for a GET of path: 404 when no APIService
// has it, the proxy's 503 for a registered APIService that is not Available.
func (f *registrationFixture) status(path string) int {
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w.Code
}

// eventually waits until path answers want.
func (f *registrationFixture) eventually(t *testing.T, ctx context.Context, path string, want int) {
	t.Helper()
	for f.status(path) != want {
		select {
		case <-ctx.Done():
			t.Fatalf("GET %s: %d, want %d", path, f.status(path), want)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func remoteAPIService(group, version string) *apiregistrationv1.APIService {
	return &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: version + "." + group},
		Spec: apiregistrationv1.APIServiceSpec{Group: group, Version: version,
			Service:              &apiregistrationv1.ServiceReference{Namespace: "backends", Name: "api"},
			GroupPriorityMinimum: 1000, VersionPriority: 15},
	}
}

func TestRegistrationFollowsAPIServices(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first := remoteAPIService("first.example.com", "v1")
	local := remoteAPIService("local.example.com", "v1")
	local.Spec.Service = nil
	// A remote "v1." takes /api/v1, where the proxy looks for it too.
	core := remoteAPIService("", "v1")
	f := newRegistrationFixture(t, first, local, core)
	f.run(t, ctx)

	// Once initiated, every listed APIService is in place: no waiting.
	for path, want := range map[string]int{
		"/apis/first.example.com/v1":        http.StatusServiceUnavailable,
		"/apis/first.example.com/v1/things": http.StatusServiceUnavailable,
		"/api/v1":                           http.StatusServiceUnavailable,
		"/api/v1/pods":                      http.StatusServiceUnavailable,
		"/apis/local.example.com/v1":        http.StatusNotFound,
		"/apis/local.example.com/v1/things": http.StatusNotFound,
	} {
		if got := f.status(path); got != want {
			t.Errorf("right after initiated, GET %s: %d, want %d", path, got, want)
		}
	}
	if !f.proxy.Proxies("/api/v1/pods") || f.proxy.Proxies("/apis/local.example.com/v1") {
		t.Errorf("proxy: /api/v1/pods proxied %v (want true), local proxied %v (want false)",
			f.proxy.Proxies("/api/v1/pods"), f.proxy.Proxies("/apis/local.example.com/v1"))
	}

	apiServices := f.client.ApiregistrationV1().APIServices()
	// A new one gets its path.
	if _, err := apiServices.Create(ctx, remoteAPIService("second.example.com", "v1beta1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually(t, ctx, "/apis/second.example.com/v1beta1/things", http.StatusServiceUnavailable)

	// A changed version moves the path. (Validation keeps names
	// <version>.<group>, and the proxy finds an APIService by that name, so
	// the moved path is only seen listed, not answered.)
	moved := first.DeepCopy()
	moved.Spec.Version = "v2"
	if _, err := apiServices.Update(ctx, moved, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually(t, ctx, "/apis/first.example.com/v1/things", http.StatusNotFound)
	if listed := f.mux.ListedPaths(); !slices.Contains(listed, "/apis/first.example.com/v2") || slices.Contains(listed, "/apis/first.example.com/v1") {
		t.Errorf("after the move from v1 to v2, listed paths: %v", listed)
	}

	// Becoming local takes it off the mux and the proxy.
	second, err := apiServices.Get(ctx, "v1beta1.second.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second.Spec.Service = nil
	if _, err := apiServices.Update(ctx, second, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually(t, ctx, "/apis/second.example.com/v1beta1/things", http.StatusNotFound)
	if f.proxy.Proxies("/apis/second.example.com/v1beta1/things") {
		t.Error("a local APIService is still proxied")
	}

	// Deleting removes both the path and the proxy's entry.
	if err := apiServices.Delete(ctx, core.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.eventually(t, ctx, "/api/v1/pods", http.StatusNotFound)
	if f.proxy.Proxies("/api/v1/pods") {
		t.Error("a deleted APIService is still proxied")
	}
}

// initiated waits for every APIService of the first list to have been
// synced successfully: not for the informer alone, not for a failed sync.
func TestRegistrationInitiatedAfterFirstListIsSynced(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	slow, quick := remoteAPIService("slow.example.com", "v1"), remoteAPIService("quick.example.com", "v1")
	f := newRegistrationFixture(t, slow, quick)

	entered, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	slowCalls := 0
	real := f.r.sync
	f.r.sync = func(name string) error {
		if name != slow.Name {
			return real(name)
		}
		mu.Lock()
		slowCalls++
		call := slowCalls
		mu.Unlock()
		if call == 1 {
			close(entered)
			<-release
			return errors.New("first sync fails")
		}
		return real(name)
	}
	go f.r.run(ctx, 2)
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the slow APIService was never synced")
	}
	select {
	case <-f.r.initiated():
		t.Fatal("initiated while an APIService of the first list was still being synced")
	default:
	}
	close(release)
	select {
	case <-f.r.initiated():
	case <-ctx.Done():
		t.Fatal("registration never initiated")
	}
	mu.Lock()
	calls := slowCalls
	mu.Unlock()
	if calls != 2 {
		t.Errorf("slow APIService synced %d times before initiated, want 2 (a failure, then its retry)", calls)
	}
	for _, path := range []string{"/apis/slow.example.com/v1", "/apis/quick.example.com/v1"} {
		if got := f.status(path); got != http.StatusServiceUnavailable {
			t.Errorf("right after initiated, GET %s: %d, want 503 from the proxy", path, got)
		}
	}
}
