package discovery

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type answer struct {
	status int
	etag   string
	body   []byte
}

func get(h http.Handler, path string, header map[string]string) answer {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return answer{status: w.Code, etag: w.Header().Get("ETag"), body: w.Body.Bytes()}
}

func decodeGroupList(t *testing.T, a answer) []string {
	t.Helper()
	list := &metav1.APIGroupList{}
	if err := json.Unmarshal(a.body, list); err != nil {
		t.Fatalf("decode %q: %v", a.body, err)
	}
	return summary(list)
}

func TestAPIsHandler(t *testing.T) {
	env := newAPIServiceEnv(t,
		apiService("apps/v1", 17800, 15),
		onService(apiService("wardle.example.com/v1alpha1", 1000, 15), "wardle", false),
	)
	h, err := NewAPIsHandler(env.informer)
	if err != nil {
		t.Fatal(err)
	}
	env.start()

	first := get(h, "/apis", nil)
	if first.status != http.StatusOK || first.etag == "" {
		t.Fatalf("GET /apis: %d, ETag %q", first.status, first.etag)
	}
	want := []string{"apiregistration.k8s.io:v1(v1)", "apps:v1(v1)", "wardle.example.com:v1alpha1(v1alpha1)"}
	if diff := cmp.Diff(want, decodeGroupList(t, first)); diff != "" {
		t.Errorf("/apis (-want +got):\n%s", diff)
	}

	tests := []struct {
		name       string
		path       string
		header     map[string]string
		wantStatus int
		wantBody   string
	}{
		{name: "same ETag is not modified", path: "/apis", header: map[string]string{"If-None-Match": first.etag}, wantStatus: http.StatusNotModified},
		{name: "other ETag gets the list", path: "/apis", header: map[string]string{"If-None-Match": `"old"`}, wantStatus: http.StatusOK, wantBody: `"kind":"APIGroupList"`},
		{name: "trailing slash", path: "/apis/", wantStatus: http.StatusOK, wantBody: `"kind":"APIGroupList"`},
		{name: "local group", path: "/apis/apps", wantStatus: http.StatusOK, wantBody: `"kind":"APIGroup","apiVersion":"v1","name":"apps"`},
		{name: "unavailable remote group", path: "/apis/wardle.example.com/", wantStatus: http.StatusOK, wantBody: `"preferredVersion":{"groupVersion":"wardle.example.com/v1alpha1"`},
		{name: "unknown group", path: "/apis/nope.example.com", wantStatus: http.StatusNotFound, wantBody: `"kind":"Status"`},
		{name: "deeper path", path: "/apis/apps/v9", wantStatus: http.StatusNotFound, wantBody: `"reason":"NotFound"`},
		{name: "protobuf", path: "/apis", header: map[string]string{"Accept": "application/vnd.kubernetes.protobuf"}, wantStatus: http.StatusOK, wantBody: "k8s\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(h, tt.path, tt.header)
			if got.status != tt.wantStatus || !strings.Contains(string(got.body), tt.wantBody) {
				t.Errorf("GET %s: %d %q, want %d containing %q", tt.path, got.status, got.body, tt.wantStatus, tt.wantBody)
			}
		})
	}

	t.Run("group ETag", func(t *testing.T) {
		group := get(h, "/apis/apps", nil)
		if again := get(h, "/apis/apps", map[string]string{"If-None-Match": group.etag}); again.status != http.StatusNotModified {
			t.Errorf("GET /apis/apps with its ETag: %d, want 304", again.status)
		}
	})

	t.Run("rebuilt after APIService events", func(t *testing.T) {
		env.create(onService(apiService("wardle.example.com/v1beta1", 1000, 15), "wardle", true))
		env.delete("v1.apps")
		want := []string{"apiregistration.k8s.io:v1(v1)", "wardle.example.com:v1beta1,v1alpha1(v1beta1)"}
		var latest answer
		eventually(t, "the new APIServices in /apis", func() (bool, string) {
			latest = get(h, "/apis", nil)
			got := decodeGroupList(t, latest)
			return cmp.Equal(want, got), fmt.Sprint(got)
		})
		if latest.etag == first.etag {
			t.Errorf("ETag unchanged after the APIServices changed: %s", latest.etag)
		}
		if stale := get(h, "/apis", map[string]string{"If-None-Match": first.etag}); stale.status != http.StatusOK {
			t.Errorf("GET /apis with the old ETag: %d, want 200", stale.status)
		}
		if gone := get(h, "/apis/apps", nil); gone.status != http.StatusNotFound {
			t.Errorf("GET /apis/apps after its APIService went: %d, want 404", gone.status)
		}
	})
}
