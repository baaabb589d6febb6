package availability

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/keyutil"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorfake "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/fake"
	aggregatorinformers "k8s.io/kube-aggregator/pkg/client/informers/externalversions"
	"k8s.io/utils/ptr"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
	"github.com/aggkit/aggkit/pkg/pki"
)

// Names shared by the tests: APIService v1alpha1.wardle.example.com served by
// Service ns/api on port 443.
const (
	testNamespace  = "ns"
	testService    = "api"
	testGroup      = "wardle.example.com"
	testVersion    = "v1alpha1"
	testAPIService = testVersion + "." + testGroup
	testServerName = testService + "." + testNamespace + ".svc"
)

// pkiSet is a CA trusted by the aggregator and the proxy client certificate
// that backends must see.
type pkiSet struct {
	ca, otherCA *pki.CA
	proxyCert   dynamiccertificates.CertKeyContentProvider
}

func newPKI(t *testing.T) *pkiSet {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "backend-ca")
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := pki.LoadOrCreateCA(filepath.Join(dir, "other.crt"), filepath.Join(dir, "other.key"), "unrelated-ca")
	if err != nil {
		t.Fatal(err)
	}
	cert, key := issue(t, ca, pki.CertSpec{CommonName: "front-proxy-client", Client: true})
	proxyCert, err := dynamiccertificates.NewStaticCertKeyContent("proxy-client", cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return &pkiSet{ca: ca, otherCA: otherCA, proxyCert: proxyCert}
}

// issue returns a PEM certificate and key signed by ca.
func issue(t *testing.T, ca *pki.CA, spec pki.CertSpec) (certPEM, keyPEM []byte) {
	t.Helper()
	cert, key, err := ca.Issue(spec)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err = keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), keyPEM
}

// newBackend starts a TLS backend serving for testServerName that requires
// the proxy client certificate, as an aggregated apiserver does.
func newBackend(t *testing.T, p *pkiSet, handler http.Handler) *httptest.Server {
	t.Helper()
	return newBackendTrusting(t, p, p.ca, handler)
}

// newBackendTrusting is newBackend accepting client certificates of clientCA only.
func newBackendTrusting(t *testing.T, p *pkiSet, clientCA *pki.CA, handler http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = backendTLS(t, p, clientCA)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// backendTLS serves for testServerName and requires a client certificate
// of clientCA.
func backendTLS(t *testing.T, p *pkiSet, clientCA *pki.CA) *tls.Config {
	t.Helper()
	certPEM, keyPEM := issue(t, p.ca, pki.CertSpec{CommonName: testServerName, DNSNames: []string{testServerName}, Server: true})
	serving, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(clientCA.Cert)
	return &tls.Config{Certificates: []tls.Certificate{serving}, ClientCAs: clientCAs, ClientAuth: tls.RequireAndVerifyClientCert}
}

// discoveryHandler answers path with status and checks the probe identity.
func discoveryHandler(t *testing.T, path string, status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("X-Remote-User") != probeUser || r.Header.Get("X-Remote-Group") != probeGroup {
			t.Errorf("probe identity: user %q group %q", r.Header.Get("X-Remote-User"), r.Header.Get("X-Remote-Group"))
		}
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "https://elsewhere.example.com/")
		}
		w.WriteHeader(status)
	})
}

func apiService(caBundle []byte) *apiregistrationv1.APIService {
	return &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: testAPIService},
		Spec: apiregistrationv1.APIServiceSpec{
			Service:              &apiregistrationv1.ServiceReference{Namespace: testNamespace, Name: testService, Port: ptr.To[int32](443)},
			Group:                testGroup,
			Version:              testVersion,
			CABundle:             caBundle,
			GroupPriorityMinimum: 1000,
			VersionPriority:      15,
		},
	}
}

func service(port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: testService},
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeClusterIP,
			ClusterIP: "10.0.0.10",
			Ports:     []corev1.ServicePort{{Name: "https", Port: port, TargetPort: intstr.FromString("https")}},
		},
	}
}

// endpointSlices gives one slice per backend (their ports differ) whose
// endpoint is that backend under the port name "https".
func endpointSlices(t *testing.T, ready bool, backends ...*httptest.Server) []runtime.Object {
	addrs := make([]string, len(backends))
	for i, srv := range backends {
		addrs[i] = srv.Listener.Addr().String()
	}
	return endpointSlicesAt(t, ready, addrs...)
}

// endpointSlicesAt is endpointSlices for host:port addresses.
func endpointSlicesAt(t *testing.T, ready bool, addrs ...string) []runtime.Object {
	var out []runtime.Object
	for i, addr := range addrs {
		host, portText, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(portText)
		port := int32(n)
		out = append(out, &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: testService + "-" + strconv.Itoa(i),
				Labels: map[string]string{discoveryv1.LabelServiceName: testService}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(port)}},
			Endpoints: []discoveryv1.Endpoint{{
				Addresses: []string{host}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)}}},
		})
	}
	return out
}

// fixture is a controller over fake clientsets. Its informers are not started
// unless start is called: tests fill the indexers and call sync directly.
type fixture struct {
	t           *testing.T
	controller  *Controller
	client      *aggregatorfake.Clientset
	kube        *kubefake.Clientset
	aggInformer aggregatorinformers.SharedInformerFactory
	kubeInforms informers.SharedInformerFactory
	apiIndexer  cache.Indexer
}

func newFixture(t *testing.T, p *pkiSet, cfg Config, apiServices []runtime.Object, kubeObjects ...runtime.Object) *fixture {
	t.Helper()
	f := &fixture{t: t, client: aggregatorfake.NewSimpleClientset(apiServices...), kube: kubefake.NewClientset(kubeObjects...)}
	f.aggInformer = aggregatorinformers.NewSharedInformerFactory(f.client, 0)
	f.kubeInforms = informers.NewSharedInformerFactory(f.kube, 0)
	apiServiceInformer := f.aggInformer.Apiregistration().V1().APIServices()
	services := f.kubeInforms.Core().V1().Services()
	slices := f.kubeInforms.Discovery().V1().EndpointSlices()
	endpoints := f.kubeInforms.Core().V1().Endpoints()

	cfg.APIServiceClient = f.client.ApiregistrationV1()
	cfg.APIServiceInformer = apiServiceInformer
	cfg.ServiceInformer = services
	cfg.EndpointSliceInformer = slices
	cfg.EndpointsInformer = endpoints
	cfg.Resolver = resolve.NewEndpointResolver(services.Lister(), slices.Lister(), endpoints.Lister())
	cfg.Transports = backend.NewTransports(p.proxyCert)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.controller = c
	f.apiIndexer = apiServiceInformer.Informer().GetIndexer()

	// Fill the indexers the way a synced informer would.
	for _, obj := range apiServices {
		add(t, apiServiceInformer.Informer().GetIndexer().Add(obj))
	}
	for _, obj := range kubeObjects {
		switch obj.(type) {
		case *corev1.Service:
			add(t, services.Informer().GetIndexer().Add(obj))
		case *discoveryv1.EndpointSlice:
			add(t, slices.Informer().GetIndexer().Add(obj))
		case *corev1.Endpoints:
			add(t, endpoints.Informer().GetIndexer().Add(obj))
		}
	}
	return f
}

func add(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// start runs the informers and the controller until the test ends.
func (f *fixture) start(workers int) {
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	f.aggInformer.Start(ctx.Done())
	f.kubeInforms.Start(ctx.Done())
	go f.controller.Run(ctx, workers)
}

// stored returns the APIService as the fake API server holds it.
func (f *fixture) stored(name string) *apiregistrationv1.APIService {
	f.t.Helper()
	got, err := f.client.ApiregistrationV1().APIServices().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

// statusUpdates counts UpdateStatus calls made so far.
func (f *fixture) statusUpdates() int {
	n := 0
	for _, action := range f.client.Actions() {
		if action.GetVerb() == "update" && action.GetSubresource() == "status" {
			n++
		}
	}
	return n
}

// observeStored copies the stored APIService into the informer's indexer, as
// the watch would.
func (f *fixture) observeStored(name string) {
	f.t.Helper()
	add(f.t, f.apiIndexer.Update(f.stored(name)))
}

// eventually polls cond every 10ms until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not true after %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}
