package availability

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1helper "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/helper"
)

var discoveryURLPath = discoveryPath(testGroup, testVersion)

// serving returns the objects for an APIService trusting the test CA whose
// Service points at backends.
func serving(t *testing.T, p *pkiSet, backends ...*httptest.Server) (*apiregistrationv1.APIService, []runtime.Object) {
	return apiService(p.ca.CertPEM()), append([]runtime.Object{service(443)}, endpointSlices(t, true, backends...)...)
}

// Cases after kube-aggregator's remote TestSync, plus TLS and timeout cases.
func TestSync(t *testing.T) {
	p := newPKI(t)
	tests := []struct {
		name  string
		setup func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object)
		// wantStatus "" means no condition and no write (local).
		wantStatus  apiregistrationv1.ConditionStatus
		wantReason  string
		wantMessage []string
	}{{
		name: "local is not ours",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			local := apiService(nil)
			local.Spec.Service = nil
			return local, nil
		},
	}, {
		name: "no service",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return apiService(p.ca.CertPEM()), nil
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "ServiceNotFound",
		wantMessage: []string{`service/api in "ns" is not present`},
	}, {
		name: "service on bad port",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return apiService(p.ca.CertPEM()), []runtime.Object{service(444)}
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "ServicePortError",
		wantMessage: []string{"is not listening on port 443"},
	}, {
		name: "no endpoints",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return apiService(p.ca.CertPEM()), []runtime.Object{service(443)}
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "EndpointsNotFound",
		wantMessage: []string{`cannot find endpointslices for service/api in "ns"`},
	}, {
		name: "endpoints not ready",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			srv := newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK))
			return apiService(p.ca.CertPEM()), append([]runtime.Object{service(443)}, endpointSlices(t, false, srv)...)
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "MissingEndpoints",
		wantMessage: []string{`have no addresses with port name "https"`},
	}, {
		name: "remote passes",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK)))
		},
		wantStatus: apiregistrationv1.ConditionTrue, wantReason: "Passed", wantMessage: []string{"all checks passed"},
	}, {
		name: "legacy group probes /api/<version>",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			svc, objs := serving(t, p, newBackend(t, p, discoveryHandler(t, "/api/v1", http.StatusOK)))
			svc.Name, svc.Spec.Group, svc.Spec.Version = "v1.", "", "v1"
			return svc, objs
		},
		wantStatus: apiregistrationv1.ConditionTrue, wantReason: "Passed", wantMessage: []string{"all checks passed"},
	}, {
		name: "one dead address of two is enough to pass",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			dead := newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK))
			dead.Close()
			return serving(t, p, dead, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK)))
		},
		wantStatus: apiregistrationv1.ConditionTrue, wantReason: "Passed", wantMessage: []string{"all checks passed"},
	}, {
		name: "remote-bad-return 403",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusForbidden)))
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{"bad status from https://127.0.0.1:", "/apis/wardle.example.com/v1alpha1: 403", "refused system:kube-aggregator"},
	}, {
		name: "remote-redirect 302",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusFound)))
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{": 302 Found", "Redirects are not followed"},
	}, {
		name: "remote-304",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusNotModified)))
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{": 304 Not Modified"},
	}, {
		name: "backend does not serve the group version",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return serving(t, p, newBackend(t, p, discoveryHandler(t, "/apis/other/v1", http.StatusOK)))
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{": 404 Not Found", "does not serve wardle.example.com/v1alpha1"},
	}, {
		name: "timeout",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return serving(t, p, newBackend(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			})))
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{"failing or missing response from https://127.0.0.1:", "timed out after 200ms"},
	}, {
		name: "connection refused",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			dead := newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK))
			dead.Close()
			return serving(t, p, dead)
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{"connection refused"},
	}, {
		name: "wrong caBundle",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			svc, objs := serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK)))
			svc.Spec.CABundle = p.otherCA.CertPEM()
			return svc, objs
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{"certificate signed by unknown authority", `spec.caBundle holding "CN=unrelated-ca"`,
			`server name "api.ns.svc"`, "put the CA that signed the backend's serving certificate in spec.caBundle"},
	}, {
		name: "serving certificate for another name",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			svc, objs := serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK)))
			svc.Spec.Service.Name = "other"
			objs[0].(interface{ SetName(string) }).SetName("other")
			for _, o := range objs[1:] {
				o.(interface{ SetLabels(map[string]string) }).SetLabels(map[string]string{"kubernetes.io/service-name": "other"})
			}
			return svc, objs
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{"certificate is valid for api.ns.svc", `server name "other.ns.svc"`, `valid for "other.ns.svc"`},
	}, {
		name: "backend does not trust the proxy client certificate",
		setup: func(t *testing.T) (*apiregistrationv1.APIService, []runtime.Object) {
			return serving(t, p, newBackendTrusting(t, p, p.otherCA, discoveryHandler(t, discoveryURLPath, http.StatusOK)))
		},
		wantStatus: apiregistrationv1.ConditionFalse, wantReason: "FailedDiscoveryCheck",
		wantMessage: []string{"remote error: tls:", "trust the CA that signed --proxy-client-cert-file"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, objs := tc.setup(t)
			f := newFixture(t, p, Config{ProbeTimeout: 200 * time.Millisecond, DisableConnectionWatch: true},
				[]runtime.Object{svc}, objs...)
			ctx := context.Background()

			if err := f.controller.sync(ctx, svc.Name); err != nil {
				t.Fatalf("sync: %v", err)
			}
			got := apiregistrationv1helper.GetAPIServiceConditionByType(f.stored(svc.Name), apiregistrationv1.Available)
			if tc.wantStatus == "" {
				if got != nil || f.statusUpdates() != 0 {
					t.Fatalf("local APIService touched: condition %+v, %d status updates", got, f.statusUpdates())
				}
				return
			}
			if got == nil {
				t.Fatal("no Available condition written")
			}
			if got.Status != tc.wantStatus || got.Reason != tc.wantReason {
				t.Errorf("condition = %s/%s (%s), want %s/%s", got.Status, got.Reason, got.Message, tc.wantStatus, tc.wantReason)
			}
			for _, want := range tc.wantMessage {
				if !strings.Contains(got.Message, want) {
					t.Errorf("message %q does not contain %q", got.Message, want)
				}
			}
			if got.LastTransitionTime.IsZero() {
				t.Error("lastTransitionTime not set")
			}

			// The same facts again: nothing to write.
			f.observeStored(svc.Name)
			if err := f.controller.sync(ctx, svc.Name); err != nil {
				t.Fatalf("second sync: %v", err)
			}
			if n := f.statusUpdates(); n != 1 {
				t.Errorf("%d status updates after two syncs of unchanged facts, want 1", n)
			}
		})
	}
}
