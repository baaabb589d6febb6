package controlplane_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/pkg/controlplane"
	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/etcd"
	"github.com/aggkit/aggkit/pkg/pki"
)

// sharedEtcd starts one embedded etcd member for the replicas of a test.
func sharedEtcd(t *testing.T) string {
	t.Helper()
	store, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Stop)
	return store.ClientURL
}

// replica is one aggkit control plane running in this test process.
type replica struct {
	*controlplane.Server
	// cfg is how waitReady reaches it: its admin kubeconfig if it wrote one.
	cfg  *rest.Config
	ctx  context.Context
	done chan error
	stop func()
}

// newReplica builds (but does not run) a control plane on etcdURL whose
// data lives in dataDir; configure adjusts its options. It listens at
// once, so requests sent before run wait for it to serve.
func newReplica(t *testing.T, etcdURL, dataDir string, configure func(*controlplane.Options)) *replica {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := controlplane.NewOptions()
	opts.DataDir = dataDir
	opts.Etcd.Servers = []string{etcdURL}
	opts.SecureServing.Listener = listener
	opts.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	opts.AvailabilityPeriod = time.Second
	if configure != nil {
		configure(opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	server, err := controlplane.New(ctx, opts)
	if err != nil {
		cancel()
		listener.Close()
		t.Fatal(err)
	}
	r := &replica{Server: server, ctx: ctx, done: make(chan error, 1)}
	if server.AdminKubeconfig != "" {
		r.cfg = r.adminConfig(t)
	}
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-r.done; err != nil {
			t.Logf("replica %s stopped: %v", server.URL, err)
		}
	}
	t.Cleanup(r.stop)
	return r
}

func (r *replica) run() *replica {
	go func() { r.done <- r.Run(r.ctx) }()
	return r
}

// startReplica runs a replica and waits until its /readyz is ok.
func startReplica(t *testing.T, etcdURL, dataDir string, configure func(*controlplane.Options)) *replica {
	t.Helper()
	r := newReplica(t, etcdURL, dataDir, configure).run()
	r.waitReady(t)
	return r
}

func (r *replica) waitReady(t *testing.T) {
	t.Helper()
	client := httpClient(t, r.cfg)
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := client.Get(r.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not ready: %v", r.URL, err)
		}
		select {
		case err := <-r.done:
			t.Fatalf("replica %s stopped before it was ready: %v", r.URL, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// adminConfig is the replica's own admin kubeconfig.
func (r *replica) adminConfig(t *testing.T) *rest.Config {
	t.Helper()
	if r.AdminKubeconfig == "" {
		t.Fatal("the replica wrote no admin kubeconfig")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", r.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func httpClient(t *testing.T, cfg *rest.Config) *http.Client {
	t.Helper()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client.Timeout = 30 * time.Second
	return client
}

func kubeClient(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 1000, 1000 // the backend reads the ConfigMap per request
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// identityBackend is an extension server reduced to its authentication:
// over TLS it accepts a request only as a real one does, from a client
// certificate that kube-system/extension-apiserver-authentication trusts
// (front-proxy CA and allowed names, read on every request), and answers
// with the user the X-Remote-User header names.
type identityBackend struct {
	port int
	ca   *pki.CA
}

const backendGroup = "replicas.example.com"

func startIdentityBackend(t *testing.T, kube kubernetes.Interface) *identityBackend {
	t.Helper()
	ca, err := pki.LoadOrCreateCA(filepath.Join(t.TempDir(), "ca.crt"), filepath.Join(t.TempDir(), "ca.key"), "backend-ca")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(pki.CertSpec{CommonName: "api", DNSNames: []string{"api.replicas.svc"}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	published := func(key string) []string {
		cm, err := kube.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "extension-apiserver-authentication", metav1.GetOptions{})
		if err != nil {
			return nil
		}
		var list []string
		_ = json.Unmarshal([]byte(cm.Data[key]), &list)
		return list
	}
	verifyOptions := func() (x509.VerifyOptions, bool) {
		cm, err := kube.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "extension-apiserver-authentication", metav1.GetOptions{})
		if err != nil {
			return x509.VerifyOptions{}, false
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(cm.Data["requestheader-client-ca-file"])) {
			return x509.VerifyOptions{}, false
		}
		return x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true
	}
	provider := func(key string) headerrequest.StringSliceProviderFunc {
		return func() []string { return published(key) }
	}
	authn := headerrequest.NewDynamicVerifyOptionsSecure(x509request.VerifyOptionFunc(verifyOptions),
		provider("requestheader-allowed-names"), provider("requestheader-username-headers"), provider("requestheader-uid-headers"),
		provider("requestheader-group-headers"), provider("requestheader-extra-headers-prefix"))

	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Trim(r.URL.Path, "/") == "apis/"+backendGroup+"/v1" {
			_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: backendGroup + "/v1"})
			return
		}
		resp, ok, err := authn.AuthenticateRequest(r)
		if err != nil || !ok {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "not the aggregator"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"user": resp.User.GetName()})
	})}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}},
		ClientAuth:   tls.RequestClientCert,
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &identityBackend{port: ln.Addr().(*net.TCPAddr).Port, ca: ca}
}

// register creates the backend's Service, Endpoints and APIService through cfg.
func (b *identityBackend) register(t *testing.T, cfg *rest.Config) {
	t.Helper()
	objs := deploy.LocalObjects(deploy.Local{Name: "api", Namespace: "replicas", Group: backendGroup, Versions: []string{"v1"},
		Address: "127.0.0.1", Port: b.port, CABundle: b.ca.CertPEM()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := deploy.Apply(ctx, cfg, objs, testWriter{t}); err != nil {
		t.Fatal(err)
	}
}

// backendPath is a resource path of the backend's group.
const backendPath = "/apis/" + backendGroup + "/v1/namespaces/replicas/things"

// proxiedUser asks the backend, through the replica at cfg, who it thinks
// the caller is; "" and the answer when the request did not succeed.
func proxiedUser(t *testing.T, client *http.Client, host string) (string, int, string) {
	t.Helper()
	resp, err := client.Get(host + backendPath)
	if err != nil {
		return "", 0, err.Error()
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	user, _ := body["user"].(string)
	if resp.StatusCode != http.StatusOK {
		raw, _ := json.Marshal(body)
		return "", resp.StatusCode, string(raw)
	}
	return user, resp.StatusCode, ""
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
