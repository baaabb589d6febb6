package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/backend/backendtest"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	corev1listers "k8s.io/client-go/listers/core/v1"
	discoveryv1listers "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/utils/ptr"
)

const (
	group      = "wardle.example.com"
	version    = "v1alpha1"
	apiName    = version + "." + group
	svcNS      = "wardle"
	svcName    = "api"
	serverName = svcName + "." + svcNS + ".svc"
	groupPath  = "/apis/" + group + "/" + version
)

var alice = &user.DefaultInfo{
	Name:   "alice",
	UID:    "uid-123",
	Groups: []string{"dev", "system:authenticated"},
	Extra:  map[string][]string{"example.org/scopes": {"read", "write"}, "with:colon": {"x"}},
}

// harness is a proxy Handler in front of real TLS backends, resolved through
// a real endpoint resolver over indexers, behind a front server that plays
// the generic filter chain's part of putting the caller's user into the
// request context.
type harness struct {
	servingCA, clientCA *backendtest.CA
	certFile, keyFile   string
	certProvider        *dynamiccertificates.DynamicCertKeyPairContent
	services, slices    cache.Indexer
	handler             *Handler
	front               *httptest.Server
	// requestTimeout, when set, is the deadline the front gives requests.
	requestTimeout time.Duration
	// user is put into each request's context; nil leaves it out.
	user user.Info
}

func newHarness(t testing.TB, mutate func(*Config)) *harness {
	t.Helper()
	h := &harness{
		servingCA: backendtest.NewCA(t, "serving-ca"),
		clientCA:  backendtest.NewCA(t, "front-proxy-ca"),
		services:  cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}),
		slices:    cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}),
		user:      alice,
	}
	dir := t.TempDir()
	h.certFile, h.keyFile = filepath.Join(dir, "proxy.crt"), filepath.Join(dir, "proxy.key")
	h.clientCA.WriteClientCert(t, h.certFile, h.keyFile, "front-proxy-client")
	var err error
	if h.certProvider, err = dynamiccertificates.NewDynamicServingContentFromFiles("aggregator-proxy-cert", h.certFile, h.keyFile); err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	cfg := Config{
		Resolver: resolve.NewEndpointResolver(corev1listers.NewServiceLister(h.services),
			discoveryv1listers.NewEndpointSliceLister(h.slices), nil),
		Transports:                       backend.NewTransports(h.certProvider),
		Serializer:                       serializer.NewCodecFactory(scheme),
		RequestHeaderUsernameHeaders:     []string{"X-Custom-User"},
		RequestHeaderGroupHeaders:        []string{"X-Custom-Group"},
		RequestHeaderUIDHeaders:          []string{"X-Custom-Uid"},
		RequestHeaderExtraHeaderPrefixes: []string{"X-Custom-Extra-"},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	h.handler = NewHandler(cfg)
	h.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.user != nil {
			r = r.WithContext(request.WithUser(r.Context(), h.user))
		}
		if h.requestTimeout > 0 { // as the server's WithRequestDeadline filter
			ctx, cancel := context.WithTimeout(r.Context(), h.requestTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		h.handler.ServeHTTP(w, r)
	}))
	t.Cleanup(h.front.Close)
	if err := h.services.Add(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: svcNS, Name: svcName},
		Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.10", Ports: []corev1.ServicePort{
			{Name: "https", Port: 443, TargetPort: intstr.FromString("https")}}},
	}); err != nil {
		t.Fatal(err)
	}
	return h
}

// startBackend starts a TLS backend trusting the proxy client CA.
func (h *harness) startBackend(t testing.TB, handler http.Handler) *backendtest.Backend {
	t.Helper()
	return backendtest.StartBackend(t, h.servingCA, serverName, h.clientCA.Pool(), handler)
}

// route makes the Service's endpoints be exactly these backend addresses.
func (h *harness) route(t testing.TB, addrs ...string) {
	t.Helper()
	for _, obj := range h.slices.List() {
		_ = h.slices.Delete(obj)
	}
	for i, addr := range addrs {
		host, portText, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(portText)
		if err := h.slices.Add(&discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: svcNS, Name: svcName + "-" + strconv.Itoa(i),
				Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{host}}},
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(int32(port))}},
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// register tells the handler about the APIService, verified with the serving CA.
func (h *harness) register(mutate func(*apiregistrationv1.APIService)) {
	apiService := backendtest.APIService(group, version, svcNS, svcName, h.servingCA.CertPEM())
	if mutate != nil {
		mutate(apiService)
	}
	h.handler.UpdateAPIService(apiService)
}

type reply struct {
	code   int
	body   string
	status *metav1.Status // set when the body is a Status
}

func (h *harness) do(t *testing.T, method, path string, body io.Reader, header http.Header) reply {
	t.Helper()
	r, err := h.send(method, path, body, header)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// send is do for goroutines other than the test's, which must not call t.Fatal.
func (h *harness) send(method, path string, body io.Reader, header http.Header) (reply, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, h.front.URL+path, body)
	if err != nil {
		return reply{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := h.front.Client().Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: reading body: %w", method, path, err)
	}
	r := reply{code: resp.StatusCode, body: string(data)}
	if strings.Contains(string(data), `"kind":"Status"`) {
		r.status = &metav1.Status{}
		if err := json.Unmarshal(data, r.status); err != nil {
			return r, fmt.Errorf("decoding Status %s: %w", data, err)
		}
	}
	return r, nil
}

func (h *harness) get(t *testing.T, path string) reply {
	t.Helper()
	return h.do(t, http.MethodGet, path, nil, nil)
}

// hello answers with a fixed body.
var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
