package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	restful "github.com/emicklei/go-restful/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/wait"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	restclient "k8s.io/client-go/rest"
	basecompatibility "k8s.io/component-base/compatibility"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/fake"
	informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/aggkit/aggkit/pkg/aggregator/discovery"
	"github.com/aggkit/aggkit/pkg/openapi"
)

// specBackend is an extension server's OpenAPI endpoints: /openapi/v2 and,
// unless v3 is false, /openapi/v3/apis/<group>/<version>, with ETags.
type specBackend struct {
	group, version string
	v3             bool
	notModified    atomic.Int32 // 304s sent
	server         *httptest.Server
}

func newSpecBackend(t *testing.T, group, version string, v3 bool) *specBackend {
	b := &specBackend{group: group, version: version, v3: v3}
	b.server = httptest.NewTLSServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.server.Close)
	return b
}

func (b *specBackend) definition() string {
	return "com.example." + b.group + "." + b.version + ".Flunder"
}

func (b *specBackend) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Remote-User") != fetchUser || r.Header.Get("X-Remote-Group") != fetchGroup {
		http.Error(w, "who are you", http.StatusForbidden)
		return
	}
	var body string
	switch {
	case r.URL.Path == "/openapi/v2":
		ref := `{"$ref":"#/definitions/` + b.definition() + `"}`
		body = `{"swagger":"2.0","info":{"title":"backend","version":"1"},"paths":{` +
			`"/apis/` + b.group + `/` + b.version + `/flunders":{"get":{"responses":{"200":{"description":"OK","schema":` + ref + `}}}},` +
			`"/api/v1/backendonly":{"get":{"responses":{"200":{"description":"OK"}}}}},` +
			`"definitions":{"` + b.definition() + `":{"type":"object","description":"from v2"}}}`
	case b.v3 && r.URL.Path == "/openapi/v3/apis/"+b.group+"/"+b.version:
		body = `{"openapi":"3.0.0","info":{"title":"backend","version":"1"},"paths":{},` +
			`"components":{"schemas":{"` + b.definition() + `":{"type":"object","description":"from v3"}}}}`
	default:
		http.NotFound(w, r)
		return
	}
	etag := `"` + r.URL.Path + `-1"`
	if r.Header.Get("If-None-Match") == etag {
		b.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

func remoteAPIService(group, version, service string, groupPriority int32) *apiregistrationv1.APIService {
	return &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: version + "." + group},
		Spec: apiregistrationv1.APIServiceSpec{
			Group: group, Version: version, GroupPriorityMinimum: groupPriority, VersionPriority: 15,
			Service: &apiregistrationv1.ServiceReference{Namespace: "ns", Name: service},
		},
	}
}

// newOpenAPIServer builds a GenericAPIServer with OpenAPI on and one built-in
// path, /api/v1/namespaces, and runs PrepareRun as the server's start does.
// With lazy, the server's own documents are served by openapi.Lazy, as
// pkg/controlplane does, and the built-in v2 is returned for Config.BuiltinV2.
func newOpenAPIServer(t *testing.T, lazy bool) (*genericapiserver.GenericAPIServer, cached.Value[*spec.Swagger]) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	config := genericapiserver.NewConfig(serializer.NewCodecFactory(scheme))
	config.EffectiveVersion = basecompatibility.NewEffectiveVersionFromString("1.37", "", "")
	config.FeatureGate = utilfeature.DefaultFeatureGate
	config.LoopbackClientConfig = &restclient.Config{Host: "https://127.0.0.1:1"}
	config.ExternalAddress = "127.0.0.1:443" // never served: the test asks the director
	namer := openapinamer.NewDefinitionNamer(scheme)
	config.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	config.SkipOpenAPIInstallation = lazy
	builtin := openapi.NewLazy(config.OpenAPIConfig, config.OpenAPIV3Config)
	server, err := config.Complete(nil).New("openapi-test", genericapiserver.NewEmptyDelegate())
	if err != nil {
		t.Fatal(err)
	}
	ws := new(restful.WebService).Path("/api/v1").Produces("application/json")
	ws.Route(ws.GET("/namespaces").Operation("listNamespaces").Writes(corev1.NamespaceList{}).
		Returns(http.StatusOK, "OK", corev1.NamespaceList{}).
		To(func(_ *restful.Request, resp *restful.Response) { resp.WriteHeader(http.StatusOK) }))
	server.Handler.GoRestfulContainer.Add(ws)
	if !lazy {
		server.PrepareRun()
		return server, nil
	}
	builtin.Install(server)
	server.PrepareRun()
	return server, builtin.BuiltinV2
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func get(h http.Handler, path string, header map[string]string) answer {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func v3Root(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	got := get(h, "/openapi/v3", nil)
	var root handler3.OpenAPIV3Discovery
	if err := json.Unmarshal(got.body, &root); err != nil {
		t.Fatalf("/openapi/v3: %d %q: %v", got.status, got.body, err)
	}
	urls := map[string]string{}
	for key, gv := range root.Paths {
		urls[key] = gv.ServerRelativeURL
	}
	return urls
}

func v2Spec(t *testing.T, h http.Handler) *spec.Swagger {
	t.Helper()
	got := get(h, "/openapi/v2", map[string]string{"Accept": "application/json"})
	s := &spec.Swagger{}
	if err := json.Unmarshal(got.body, s); err != nil {
		t.Fatalf("/openapi/v2: %d: %v", got.status, err)
	}
	return s
}

func eventually(t *testing.T, what string, condition func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return condition(), nil
	})
	if err != nil {
		t.Fatalf("%s never happened", what)
	}
}

// TestAggregation runs the controller against a real GenericAPIServer's
// OpenAPI handlers and TLS backends: one serving v2 and v3, one serving only
// v2 (converted, as kube-aggregator does), and one whose Service resolves
// nowhere, which must neither block readiness nor appear.
func TestAggregation(t *testing.T) {
	testAggregation(t, false)
}

// TestAggregationWithLazyBuiltin: the same, with the server's own documents
// built on first request and the built-in v2 handed over as Config.BuiltinV2.
func TestAggregationWithLazyBuiltin(t *testing.T) {
	testAggregation(t, true)
}

func testAggregation(t *testing.T, lazy bool) {
	wardle := newSpecBackend(t, "wardle.example.com", "v1alpha1", true)
	legacy := newSpecBackend(t, "legacy.example.com", "v1", false)
	backends := map[string]*specBackend{"wardle": wardle, "legacy": legacy}
	fetch := discovery.ServiceFetcher(
		func(_, name string, _ int32) ([]string, error) {
			if b, ok := backends[name]; ok {
				return []string{b.server.Listener.Addr().String()}, nil
			}
			return nil, fmt.Errorf("service %s has no endpoints", name)
		},
		func(a *apiregistrationv1.APIService) (http.RoundTripper, error) {
			if b, ok := backends[a.Spec.Service.Name]; ok {
				return b.server.Client().Transport, nil
			}
			return http.DefaultTransport, nil
		})

	client := fake.NewSimpleClientset(
		remoteAPIService("wardle.example.com", "v1alpha1", "wardle", 1000),
		remoteAPIService("legacy.example.com", "v1", "legacy", 900),
		remoteAPIService("dead.example.com", "v1", "dead", 800),
	)
	factory := informers.NewSharedInformerFactory(client, 0)
	server, builtinV2 := newOpenAPIServer(t, lazy)
	controller, err := New(Config{APIServices: factory.Apiregistration().V1().APIServices(), Fetch: fetch, BuiltinV2: builtinV2})
	if err != nil {
		t.Fatal(err)
	}
	director := server.Handler.Director
	factory.Start(t.Context().Done())
	hook := controller.PostStartHook(server, 2, time.Hour)
	if err := hook(genericapiserver.PostStartHookContext{Context: t.Context()}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-controller.Initialized():
	default:
		t.Fatal("the hook returned before every APIService was fetched once")
	}

	root := v3Root(t, director)
	for _, key := range []string{"api/v1", "apis/wardle.example.com/v1alpha1", "apis/legacy.example.com/v1"} {
		if root[key] == "" {
			t.Errorf("/openapi/v3 does not list %s: %v", key, root)
		}
	}
	if _, ok := root["apis/dead.example.com/v1"]; ok {
		t.Errorf("/openapi/v3 lists the unreachable dead.example.com/v1")
	}
	groupVersions := []struct{ key, want string }{
		{key: "apis/wardle.example.com/v1alpha1", want: "from v3"},
		{key: "apis/legacy.example.com/v1", want: "from v2"}, // converted from the backend's v2
		{key: "api/v1", want: "io.k8s.api.core.v1.NamespaceList"},
	}
	for _, gv := range groupVersions {
		t.Run("v3 "+gv.key, func(t *testing.T) {
			got := get(director, root[gv.key], map[string]string{"Accept": "application/json"})
			if got.status != http.StatusOK || !strings.Contains(string(got.body), gv.want) {
				t.Errorf("GET %s: %d %q, want 200 containing %q", root[gv.key], got.status, got.body, gv.want)
			}
		})
	}

	merged := v2Spec(t, director)
	for _, path := range []string{"/api/v1/namespaces", "/apis/wardle.example.com/v1alpha1/flunders", "/apis/legacy.example.com/v1/flunders"} {
		if _, ok := merged.Paths.Paths[path]; !ok {
			t.Errorf("/openapi/v2 has no path %s", path)
		}
	}
	if _, ok := merged.Paths.Paths["/api/v1/backendonly"]; ok {
		t.Error("/openapi/v2 has a backend path outside its group/version")
	}
	for _, definition := range []string{"io.k8s.api.core.v1.NamespaceList", wardle.definition(), legacy.definition()} {
		if _, ok := merged.Definitions[definition]; !ok {
			t.Errorf("/openapi/v2 has no definition %s", definition)
		}
	}

	t.Run("v2 ETag", func(t *testing.T) {
		first := get(director, "/openapi/v2", map[string]string{"Accept": "application/json"})
		etag := first.header.Get("ETag")
		if etag == "" {
			t.Fatal("/openapi/v2 has no ETag")
		}
		if again := get(director, "/openapi/v2", map[string]string{"Accept": "application/json", "If-None-Match": etag}); again.status != http.StatusNotModified {
			t.Errorf("GET /openapi/v2 with If-None-Match %s: %d, want 304", etag, again.status)
		}
	})

	t.Run("an APIService change refetches with If-None-Match", func(t *testing.T) {
		changed := remoteAPIService("wardle.example.com", "v1alpha1", "wardle", 1000)
		changed.Labels = map[string]string{"touched": "yes"}
		if _, err := client.ApiregistrationV1().APIServices().Update(t.Context(), changed, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the backend answering 304 to both documents", func() bool { return wardle.notModified.Load() >= 2 })
		if got := v3Root(t, director)["apis/wardle.example.com/v1alpha1"]; got != root["apis/wardle.example.com/v1alpha1"] {
			t.Errorf("unchanged backend document changed its URL: %s, was %s", got, root["apis/wardle.example.com/v1alpha1"])
		}
	})

	t.Run("a deleted APIService disappears", func(t *testing.T) {
		if err := client.ApiregistrationV1().APIServices().Delete(t.Context(), "v1alpha1.wardle.example.com", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "wardle leaving /openapi/v3", func() bool { _, ok := v3Root(t, director)["apis/wardle.example.com/v1alpha1"]; return !ok })
		eventually(t, "wardle leaving /openapi/v2", func() bool {
			_, ok := v2Spec(t, director).Paths.Paths["/apis/wardle.example.com/v1alpha1/flunders"]
			return !ok
		})
		after := v2Spec(t, director)
		if _, ok := after.Paths.Paths["/apis/legacy.example.com/v1/flunders"]; !ok {
			t.Error("deleting wardle also removed legacy from /openapi/v2")
		}
		if _, ok := after.Paths.Paths["/api/v1/namespaces"]; !ok {
			t.Error("deleting wardle removed a built-in path from /openapi/v2")
		}
	})
}
