package controlplane

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestAnonymousReachesOnlyPublicInfo calls a started control plane over
// HTTPS with no credentials: the health checks (and their named checks) and
// /version answer, as kube-apiserver's system:public-info-viewer allows;
// everything else is 401. With --anonymous-auth=false, all of it is 401.
func TestAnonymousReachesOnlyPublicInfo(t *testing.T) {
	public := []string{"/healthz", "/livez", "/readyz", "/readyz?verbose", "/readyz/etcd", "/livez/ping",
		"/healthz/poststarthook/rbac/bootstrap-roles", "/version", "/version/"}
	private := []string{"/", "/api", "/apis", "/api/v1", "/api/v1/namespaces", "/api/v1/namespaces/default/secrets",
		"/apis/apiregistration.k8s.io/v1/apiservices", "/metrics", "/openapi/v2", "/openapi/v3", "/debug/pprof/",
		"/readyz/../api/v1/namespaces", "/readyzz", "/versions", "/livez%2f..%2fmetrics"}

	t.Run("default", func(t *testing.T) {
		ts := startServer(t, nil)
		client := anonymousClient(t, ts)
		for _, path := range public {
			if code := get(t, client, ts.admin.Host+path); code != http.StatusOK {
				t.Errorf("anonymous GET %s: %d, want 200", path, code)
			}
		}
		for _, path := range private {
			if code := get(t, client, ts.admin.Host+path); code != http.StatusUnauthorized {
				t.Errorf("anonymous GET %s: %d, want 401", path, code)
			}
		}
		// A rejected credential is not anonymous, even on a public path.
		req, _ := http.NewRequest(http.MethodGet, ts.admin.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer not-a-token")
		if code := do(t, client, req); code != http.StatusUnauthorized {
			t.Errorf("GET /readyz with a bad token: %d, want 401", code)
		}
	})

	t.Run("anonymous-auth=false", func(t *testing.T) {
		ts := startServer(t, func(o *Options) { o.AnonymousAuth = false })
		client := anonymousClient(t, ts)
		for _, path := range append(public, private...) {
			if code := get(t, client, ts.admin.Host+path); code != http.StatusUnauthorized {
				t.Errorf("anonymous GET %s: %d, want 401", path, code)
			}
		}
	})
}

func anonymousClient(t *testing.T, ts *testServer) *http.Client {
	t.Helper()
	client, err := rest.HTTPClientFor(rest.AnonymousClientConfig(ts.admin))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	return client
}

func get(t *testing.T, client *http.Client, url string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, client, req)
}

// do returns the status code, checking that a 401 is a Status.
func do(t *testing.T, client *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusUnauthorized {
		var status metav1.Status
		if err := json.Unmarshal(body, &status); err != nil || status.Reason != metav1.StatusReasonUnauthorized {
			t.Errorf("GET %s: 401 without an Unauthorized Status: %s", req.URL, body)
		}
	}
	return resp.StatusCode
}
