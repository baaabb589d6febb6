package discovery

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	restful "github.com/emicklei/go-restful/v3"
	"github.com/google/go-cmp/cmp"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	genericapiserver "k8s.io/apiserver/pkg/server"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	restclient "k8s.io/client-go/rest"
	basecompatibility "k8s.io/component-base/compatibility"
)

// TestInstall wires the handlers into a real GenericAPIServer built with
// EnableDiscovery=false and asks its director, the handler behind the filters.
func TestInstall(t *testing.T) {
	config := genericapiserver.NewConfig(serializer.NewCodecFactory(runtime.NewScheme()))
	config.EffectiveVersion = basecompatibility.NewEffectiveVersionFromString("1.37", "", "")
	config.FeatureGate = utilfeature.DefaultFeatureGate
	config.LoopbackClientConfig = &restclient.Config{Host: "https://127.0.0.1:1"}
	config.ExternalAddress = "127.0.0.1:443" // never served: the test asks the director
	config.EnableDiscovery = false
	server, err := config.Complete(nil).New("discovery-test", genericapiserver.NewEmptyDelegate())
	if err != nil {
		t.Fatal(err)
	}
	// What InstallAPIGroups leaves for a built-in group: a group web service
	// and a version web service, and the group/version in the v2 document.
	for _, root := range []string{"/apis/apps", "/apis/apps/v1"} {
		ws := new(restful.WebService).Path(root).Produces("application/json")
		ws.Route(ws.GET("").To(func(_ *restful.Request, resp *restful.Response) { resp.WriteHeader(http.StatusTeapot) }))
		server.Handler.GoRestfulContainer.Add(ws)
	}
	server.AggregatedDiscoveryGroupManager.AddGroupVersion("apps", apidiscoveryv2.APIVersionDiscovery{Version: "v1", Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent})

	env := newAPIServiceEnv(t,
		apiService("apps/v1", 17800, 15),
		onService(apiService("apps/v2", 17800, 20), "wardle", true),
		onService(apiService("wardle.example.com/v1", 1000, 15), "wardle", true),
	)
	apis, err := NewAPIsHandler(env.informer)
	if err != nil {
		t.Fatal(err)
	}
	env.start()
	apis.Install(server)
	director := server.Handler.Director

	if removed := RemoveBuiltinGroupHandlers(server); !slices.Equal(removed, []string{"/apis/apps"}) {
		t.Errorf("removed %v, want only the group web service /apis/apps", removed)
	}
	wantGroups := []string{"apiregistration.k8s.io:v1(v1)", "apps:v2,v1(v2)", "wardle.example.com:v1(v1)"}
	tests := []struct {
		name, path, accept string
		wantStatus         int
		wantBody           string
	}{
		{name: "legacy /apis", path: "/apis", accept: "application/json", wantStatus: http.StatusOK, wantBody: `"kind":"APIGroupList"`},
		{name: "legacy /apis/", path: "/apis/", accept: "application/json", wantStatus: http.StatusOK, wantBody: `"kind":"APIGroupList"`},
		{name: "v2 /apis", path: "/apis", accept: acceptAggregated, wantStatus: http.StatusOK, wantBody: `"kind":"APIGroupDiscoveryList"`},
		{name: "remote group", path: "/apis/wardle.example.com", accept: "application/json", wantStatus: http.StatusOK, wantBody: `"name":"wardle.example.com"`},
		{name: "built-in group with a remote version", path: "/apis/apps", accept: "application/json", wantStatus: http.StatusOK, wantBody: `"preferredVersion":{"groupVersion":"apps/v2"`},
		{name: "built-in version still in go-restful", path: "/apis/apps/v1", accept: "application/json", wantStatus: http.StatusTeapot},
		{name: "unknown group", path: "/apis/nope", accept: "application/json", wantStatus: http.StatusNotFound, wantBody: `"kind":"Status"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(director, tt.path, map[string]string{"Accept": tt.accept})
			if got.status != tt.wantStatus || !strings.Contains(string(got.body), tt.wantBody) {
				t.Errorf("GET %s: %d %q, want %d containing %q", tt.path, got.status, got.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	if diff := cmp.Diff(wantGroups, decodeGroupList(t, get(director, "/apis", nil))); diff != "" {
		t.Errorf("/apis through the server (-want +got):\n%s", diff)
	}
}
