package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/aggregator/backend/backendtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// TestStatusLadder follows kube-aggregator's TestProxyHandler decision ladder,
// with every error answered as a metav1.Status.
func TestStatusLadder(t *testing.T) {
	hung := make(chan struct{})
	t.Cleanup(func() { close(hung) })
	handlers := map[string]http.HandlerFunc{
		"hello": hello,
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://evil.example.com/steal", http.StatusFound)
		},
		"not modified": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) },
		"hang on discovery": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == groupPath {
				select {
				case <-hung:
				case <-r.Context().Done():
				}
			}
			_, _ = w.Write([]byte("hello"))
		},
		"no upgrade": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("plain")) },
		"hang": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hung:
			case <-r.Context().Done():
			}
		},
	}
	otherCA := func(*harness) []byte { return backendtest.NewCA(t, "other-ca").CertPEM() }

	tests := []struct {
		name       string
		backend    string // key of handlers
		certName   string // the backend's serving name; serverName when empty
		apiService func(h *harness, a *apiregistrationv1.APIService)
		noUser     bool
		path       string
		header     http.Header
		wantCode   int
		wantReason metav1.StatusReason
		wantInMsg  string
		wantBody   string
	}{
		{name: "proxied", backend: "hello", path: groupPath + "/flunders", wantCode: 200, wantBody: "hello"},
		{name: "unknown group version", backend: "hello", path: "/apis/other.example.com/v1", wantCode: 404, wantReason: metav1.StatusReasonNotFound},
		{
			name: "local APIService is not proxied", backend: "hello", path: groupPath,
			apiService: func(_ *harness, a *apiregistrationv1.APIService) { a.Spec.Service, a.Spec.CABundle = nil, nil },
			wantCode:   404, wantReason: metav1.StatusReasonNotFound,
		},
		{
			name: "service unavailable", backend: "hello", path: groupPath,
			apiService: func(_ *harness, a *apiregistrationv1.APIService) {
				a.Status.Conditions[0].Status, a.Status.Conditions[0].Reason, a.Status.Conditions[0].Message =
					apiregistrationv1.ConditionFalse, "FailedDiscoveryCheck", "bad status 403"
			},
			wantCode: 503, wantReason: metav1.StatusReasonServiceUnavailable, wantInMsg: apiName + " is not available: FailedDiscoveryCheck: bad status 403",
		},
		{name: "no user", backend: "hello", noUser: true, path: groupPath, wantCode: 500, wantReason: metav1.StatusReasonInternalError, wantInMsg: "no user"},
		{
			name: "service unresolvable", backend: "hello", path: groupPath,
			apiService: func(_ *harness, a *apiregistrationv1.APIService) { a.Spec.Service.Name = "missing" },
			wantCode:   503, wantReason: metav1.StatusReasonServiceUnavailable, wantInMsg: "ServiceNotFound",
		},
		{
			name: "bad caBundle PEM", backend: "hello", path: groupPath,
			apiService: func(_ *harness, a *apiregistrationv1.APIService) { a.Spec.CABundle = []byte("junk") },
			wantCode:   500, wantReason: metav1.StatusReasonInternalError, wantInMsg: "caBundle",
		},
		{
			name: "wrong caBundle fails TLS", backend: "hello", path: groupPath,
			apiService: func(h *harness, a *apiregistrationv1.APIService) { a.Spec.CABundle = otherCA(h) },
			wantCode:   503, wantReason: metav1.StatusReasonServiceUnavailable, wantInMsg: "certificate signed by unknown authority",
		},
		{
			name: "insecureSkipTLSVerify honoured when set", backend: "hello", certName: "other.wardle.svc", path: groupPath,
			apiService: func(h *harness, a *apiregistrationv1.APIService) {
				a.Spec.CABundle, a.Spec.InsecureSkipTLSVerify = nil, true
			},
			wantCode: 200, wantBody: "hello",
		},
		{
			name: "wrong serving name fails without insecureSkipTLSVerify", backend: "hello", certName: "other.wardle.svc", path: groupPath,
			wantCode: 503, wantReason: metav1.StatusReasonServiceUnavailable, wantInMsg: "not " + serverName,
		},
		{name: "redirect rejected", backend: "redirect", path: groupPath, wantCode: 502, wantInMsg: "redirect"},
		{name: "304 without Location passes", backend: "not modified", path: groupPath, wantCode: 304},
		{name: "hung discovery bounded", backend: "hang on discovery", path: groupPath, wantCode: 503, wantReason: metav1.StatusReasonServiceUnavailable, wantInMsg: "context deadline exceeded"},
		{
			name: "request timeout passes", backend: "hang", path: groupPath + "/flunders",
			wantCode: 504, wantReason: metav1.StatusReasonTimeout, wantInMsg: "did not complete within the allotted timeout",
		},
		{name: "deeper paths are not discovery", backend: "hang on discovery", path: groupPath + "/flunders", wantCode: 200, wantBody: "hello"},
		{
			name: "upgrade answered without switching", backend: "no upgrade", path: groupPath + "/namespaces/a/pods/b/exec",
			header:   http.Header{"Connection": {"Upgrade"}, "Upgrade": {"SPDY/3.1"}},
			wantCode: 503, wantReason: metav1.StatusReasonServiceUnavailable, wantInMsg: "did not switch protocols",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				if tt.backend == "hang on discovery" {
					c.DiscoveryTimeout = 200 * time.Millisecond // the hang is unbounded; only the proxy ends it
				}
			})
			certName := serverName
			if tt.certName != "" {
				certName = tt.certName
			}
			b := backendtest.StartBackend(t, h.servingCA, certName, h.clientCA.Pool(), handlers[tt.backend])
			h.route(t, b.Address)
			h.register(func(a *apiregistrationv1.APIService) {
				if tt.apiService != nil {
					tt.apiService(h, a)
				}
			})
			if tt.noUser {
				h.user = nil
			}
			if tt.backend == "hang" {
				h.requestTimeout = 200 * time.Millisecond
			}
			r := h.do(t, http.MethodGet, tt.path, nil, tt.header)
			if r.code != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", r.code, tt.wantCode, r.body)
			}
			if tt.wantBody != "" && r.body != tt.wantBody {
				t.Errorf("body %q, want %q", r.body, tt.wantBody)
			}
			if tt.wantCode < 400 {
				return
			}
			if r.status == nil {
				t.Fatalf("error body is not a Status: %q", r.body)
			}
			if r.status.Code != int32(tt.wantCode) || r.status.Reason != tt.wantReason || !strings.Contains(r.status.Message, tt.wantInMsg) {
				t.Errorf("Status code=%d reason=%q message=%q; want %d %q containing %q",
					r.status.Code, r.status.Reason, r.status.Message, tt.wantCode, tt.wantReason, tt.wantInMsg)
			}
			if tt.wantCode == 503 && !strings.Contains(r.status.Message, apiName) {
				t.Errorf("503 message %q does not name the APIService", r.status.Message)
			}
		})
	}
}
