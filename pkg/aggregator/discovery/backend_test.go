package discovery

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/pki"
)

// backendMode is how a test backend answers discovery.
type backendMode int32

const (
	servesV2     backendMode = iota // /apis in v2, with ETags
	servesLegacy                    // /apis 406, /apis/<g>/<v> APIResourceList
	servesDown                      // 503 everywhere
)

// testBackend is an extension apiserver's discovery behind an httptest TLS
// server whose certificate names <name>.ns.svc.
type testBackend struct {
	t       *testing.T
	name    string
	server  *httptest.Server
	mode    atomic.Int32
	apisGet atomic.Int32 // GET /apis requests that reached the backend
	// resources per "group/version", in legacy form.
	resources map[string][]metav1.APIResource

	lock       sync.Mutex
	badHeaders []string
}

// testPKI is a CA the backends' certificates and the client trust share.
type testPKI struct {
	ca   *pki.CA
	pool *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "discovery-test-ca")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &testPKI{ca: ca, pool: pool}
}

func (p *testPKI) newBackend(t *testing.T, name string, mode backendMode, resources map[string][]metav1.APIResource) *testBackend {
	cert, key, err := p.ca.Issue(pki.CertSpec{CommonName: name, DNSNames: []string{name + ".ns.svc"}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	b := &testBackend{t: t, name: name, resources: resources}
	b.mode.Store(int32(mode))
	b.server = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	b.server.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}}
	b.server.StartTLS()
	t.Cleanup(b.server.Close)
	return b
}

func (b *testBackend) setMode(mode backendMode) { b.mode.Store(int32(mode)) }

func (b *testBackend) serve(w http.ResponseWriter, req *http.Request) {
	if req.Header.Get("X-Remote-User") != "system:kube-aggregator" || req.Header.Get("X-Remote-Group") != "system:masters" {
		b.lock.Lock()
		b.badHeaders = append(b.badHeaders, fmt.Sprintf("%s %v", req.URL.Path, req.Header))
		b.lock.Unlock()
	}
	if req.URL.Path == "/apis" {
		b.apisGet.Add(1)
	}
	switch backendMode(b.mode.Load()) {
	case servesDown:
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	case servesV2:
		if req.URL.Path != "/apis" {
			http.NotFound(w, req)
			return
		}
		body, err := json.Marshal(b.aggregated())
		if err != nil {
			b.t.Error(err)
			return
		}
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))
		w.Header().Set("ETag", etag)
		if req.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", acceptAggregated)
		_, _ = w.Write(body)
	case servesLegacy:
		gv := strings.TrimPrefix(req.URL.Path, "/apis/")
		resources, ok := b.resources[gv]
		if req.URL.Path == "/apis" || !ok {
			http.Error(w, "only legacy discovery", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: gv, APIResources: resources,
		})
	}
}

// aggregated is the backend's v2 document: each resource with its response
// kind, its subresources folded in.
func (b *testBackend) aggregated() *apidiscoveryv2.APIGroupDiscoveryList {
	list := &apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"}}
	groups := map[string]int{}
	for gv, resources := range b.resources {
		group, version, _ := strings.Cut(gv, "/")
		i, ok := groups[group]
		if !ok {
			list.Items = append(list.Items, apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: group}})
			i = len(list.Items) - 1
			groups[group] = i
		}
		v := apidiscoveryv2.APIVersionDiscovery{Version: version, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
		for _, r := range resources {
			v.Resources = append(v.Resources, apidiscoveryv2.APIResourceDiscovery{
				Resource: r.Name, Scope: apidiscoveryv2.ScopeNamespace, Verbs: r.Verbs, SingularResource: r.SingularName,
				ResponseKind: &metav1.GroupVersionKind{Group: group, Version: version, Kind: r.Kind},
			})
		}
		list.Items[i].Versions = append(list.Items[i].Versions, v)
	}
	return list
}

// fetcherFor reaches the backends by Service name, trusting the test CA.
func (p *testPKI) fetcherFor(backends ...*testBackend) Fetcher {
	addresses := map[string]string{}
	for _, b := range backends {
		addresses[b.name] = strings.TrimPrefix(b.server.URL, "https://")
	}
	resolve := func(namespace, name string, port int32) ([]string, error) {
		if port != 443 {
			return nil, fmt.Errorf("unexpected port %d", port)
		}
		address, ok := addresses[name]
		if !ok {
			return nil, fmt.Errorf("no service %s/%s", namespace, name)
		}
		return []string{address}, nil
	}
	transport := func(a *apiregistrationv1.APIService) (http.RoundTripper, error) {
		return &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs:    p.pool,
			ServerName: a.Spec.Service.Name + "." + a.Spec.Service.Namespace + ".svc",
		}}, nil
	}
	return ServiceFetcher(resolve, transport)
}

func (b *testBackend) checkIdentity(t *testing.T) {
	b.lock.Lock()
	defer b.lock.Unlock()
	for _, bad := range b.badHeaders {
		t.Errorf("backend %s got a request without the aggregator identity: %s", b.name, bad)
	}
}
