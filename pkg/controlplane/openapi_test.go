package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/mux"
	"k8s.io/apiserver/pkg/server/routes"

	"github.com/aggkit/aggkit/pkg/openapi"
)

// TestOpenAPIAsPrepareRunBuildsIt: the server builds its /openapi/v2 and
// /openapi/v3 documents on first request (openapi.Lazy), and they are the
// documents k8s.io/apiserver's PrepareRun would have built at start.
func TestOpenAPIAsPrepareRunBuildsIt(t *testing.T) {
	ts := startServer(t, nil)
	scheme, _ := newScheme()
	namer := openapinamer.NewDefinitionNamer(scheme)
	v2 := genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	v2.Info.Title = "aggkit"
	v3 := genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	v3.Info.Title = "aggkit"
	eager := mux.NewPathRecorderMux("eager")
	build := sync.OnceFunc(func() {
		container := ts.generic.Handler.GoRestfulContainer
		routes.OpenAPI{Config: v2}.InstallV2(container, eager)
		routes.OpenAPI{V3Config: v3}.InstallV3(container, eager)
	})

	get := func(path string) any {
		t.Helper()
		body, err := ts.client.Discovery().RESTClient().Get().AbsPath(path).SetHeader("Accept", "application/json").DoRaw(context.Background())
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		var doc any
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return doc
	}
	want := func(path string) any {
		t.Helper()
		build()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept", "application/json")
		eager.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("eager %s: %d", path, rec.Code)
		}
		var doc any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("eager %s: %v", path, err)
		}
		return doc
	}

	// Config.Complete sets the documents' version from the server's.
	served := get("/openapi/v2")
	version, _ := served.(map[string]any)["info"].(map[string]any)["version"].(string)
	if version == "" {
		t.Fatal("/openapi/v2 has no info.version")
	}
	v2.Info.Version, v3.Info.Version = version, version
	if got, want := served, want("/openapi/v2"); !reflect.DeepEqual(got, want) {
		t.Errorf("/openapi/v2 differs from what PrepareRun builds: %s", firstDifference(got, want, ""))
	}
	listing, ok := get("/openapi/v3").(map[string]any)["paths"].(map[string]any)
	if !ok || len(listing) == 0 {
		t.Fatalf("/openapi/v3 lists no group/versions: %v", listing)
	}
	for _, gv := range servedVersions() {
		path := "apis/" + gv.Group + "/" + gv.Version
		if gv.Group == "" {
			path = "api/" + gv.Version
		}
		if _, ok := listing[path]; !ok {
			t.Errorf("/openapi/v3 does not list %s", path)
			continue
		}
		got, want := get("/openapi/v3/"+path), want("/openapi/v3/"+path)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("/openapi/v3/%s differs from what PrepareRun builds: %s", path, firstDifference(got, want, ""))
		}
		if !strings.Contains(mustJSON(t, got), `"x-kubernetes-group-version-kind"`) {
			t.Errorf("/openapi/v3/%s has no kinds", path)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firstDifference names where two decoded JSON documents first differ.
func firstDifference(got, want any, at string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return at + ": not an object"
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return at + "/" + k + ": missing"
			}
			if !reflect.DeepEqual(gv, wv) {
				return firstDifference(gv, wv, at+"/"+k)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return at + "/" + k + ": unexpected"
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return at + ": different lists"
		}
		for i := range w {
			if !reflect.DeepEqual(g[i], w[i]) {
				return firstDifference(g[i], w[i], at+"/"+strconv.Itoa(i))
			}
		}
	}
	return fmt.Sprintf("%s: %v, want %v", at, got, want)
}
