package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aggkit/aggkit/pkg/aggregator/backend/backendtest"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

const serverName = "api.wardle.svc"

// whoAmI answers with the protocol and the client certificate's common name.
var whoAmI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	cn := "<none>"
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		cn = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	fmt.Fprintf(w, "%s %s", r.Proto, cn)
})

func get(t *testing.T, rt http.RoundTripper, addr string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://"+addr+"/apis/wardle.example.com/v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func proxyCert(t *testing.T, ca *backendtest.CA, cn string) (*dynamiccertificates.DynamicCertKeyPairContent, string, string) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "proxy.crt"), filepath.Join(dir, "proxy.key")
	ca.WriteClientCert(t, certFile, keyFile, cn)
	provider, err := dynamiccertificates.NewDynamicServingContentFromFiles("aggregator-proxy-cert", certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return provider, certFile, keyFile
}

func TestTransportVerification(t *testing.T) {
	servingCA := backendtest.NewCA(t, "serving-ca")
	otherCA := backendtest.NewCA(t, "other-ca")
	clientCA := backendtest.NewCA(t, "client-ca")
	provider, _, _ := proxyCert(t, clientCA, "front-proxy-client")
	backend := backendtest.StartBackend(t, servingCA, serverName, clientCA.Pool(), whoAmI)
	wrongName := backendtest.StartBackend(t, servingCA, "other.wardle.svc", clientCA.Pool(), whoAmI)

	tests := []struct {
		name      string
		addr      string
		caBundle  []byte
		insecure  bool
		cert      dynamiccertificates.CertKeyContentProvider
		want      string
		forErr    bool
		dialError bool
	}{
		{name: "caBundle, HTTP/2 and the proxy client cert", addr: backend.Address, caBundle: servingCA.CertPEM(), cert: provider, want: "HTTP/2.0 front-proxy-client"},
		{name: "no proxy cert sends none", addr: backend.Address, caBundle: servingCA.CertPEM(), want: "HTTP/2.0 <none>"},
		{name: "wrong caBundle fails the handshake", addr: backend.Address, caBundle: otherCA.CertPEM(), cert: provider, dialError: true},
		{name: "name not <svc>.<ns>.svc fails", addr: wrongName.Address, caBundle: servingCA.CertPEM(), cert: provider, dialError: true},
		{name: "insecureSkipTLSVerify skips verification", addr: wrongName.Address, insecure: true, cert: provider, want: "HTTP/2.0 front-proxy-client"},
		{name: "no caBundle never falls back to system roots", addr: backend.Address, cert: provider, forErr: true},
		{name: "caBundle without PEM", addr: backend.Address, caBundle: []byte("garbage"), cert: provider, forErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiService := backendtest.APIService("wardle.example.com", "v1", "wardle", "api", tt.caBundle)
			apiService.Spec.InsecureSkipTLSVerify = tt.insecure
			transport, err := NewTransports(tt.cert).For(apiService)
			if tt.forErr {
				if err == nil {
					t.Fatal("For() succeeded; want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := get(t, transport.RoundTripper, tt.addr)
			if tt.dialError {
				if !IsDialError(err) {
					t.Fatalf("got %q, %v; want a *DialError", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTransportsCacheAndCertRotation(t *testing.T) {
	servingCA := backendtest.NewCA(t, "serving-ca")
	clientCA := backendtest.NewCA(t, "client-ca")
	provider, certFile, keyFile := proxyCert(t, clientCA, "proxy-1")
	backend := backendtest.StartBackend(t, servingCA, serverName, clientCA.Pool(), whoAmI)
	transports := NewTransports(provider)
	apiService := backendtest.APIService("wardle.example.com", "v1", "wardle", "api", servingCA.CertPEM())

	first, err := transports.For(apiService)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := transports.For(apiService.DeepCopy()); again != first {
		t.Fatal("For() rebuilt the transport although nothing changed")
	}
	if got, err := get(t, first.RoundTripper, backend.Address); err != nil || got != "HTTP/2.0 proxy-1" {
		t.Fatalf("before rotation: %q, %v", got, err)
	}

	clientCA.WriteClientCert(t, certFile, keyFile, "proxy-2")
	if err := provider.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	rotated, err := transports.For(apiService)
	if err != nil {
		t.Fatal(err)
	}
	if rotated == first {
		t.Fatal("For() kept the transport after the proxy certificate changed")
	}
	if got, err := get(t, rotated.RoundTripper, backend.Address); err != nil || got != "HTTP/2.0 proxy-2" {
		t.Fatalf("after rotation: %q, %v", got, err)
	}

	changed := apiService.DeepCopy()
	changed.Spec.Service.Name = "api2"
	if other, _ := transports.For(changed); other == rotated {
		t.Fatal("For() kept the transport after the Service changed")
	}
}

func TestPoolsSpreadAndEvict(t *testing.T) {
	servingCA := backendtest.NewCA(t, "serving-ca")
	backend := backendtest.StartBackend(t, servingCA, serverName, nil, whoAmI)
	transport, err := NewTransports(nil).For(backendtest.APIService("wardle.example.com", "v1", "wardle", "api", servingCA.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 * connectionsPerAddress {
		if _, err := get(t, transport.RoundTripper, backend.Address); err != nil {
			t.Fatal(err)
		}
	}
	if got := backend.Connections.Load(); got != connectionsPerAddress {
		t.Fatalf("%d sequential requests opened %d connections; want one per shard (%d)", 2*connectionsPerAddress, got, connectionsPerAddress)
	}

	transport.CloseIdleConnections("127.0.0.1:1") // another address: nothing happens to this one
	if _, err := get(t, transport.RoundTripper, backend.Address); err != nil {
		t.Fatal(err)
	}
	if got := backend.Connections.Load(); got != connectionsPerAddress {
		t.Fatalf("evicting another address opened new connections: %d", got)
	}
	transport.CloseIdleConnections(backend.Address)
	if _, err := get(t, transport.RoundTripper, backend.Address); err != nil {
		t.Fatal(err)
	}
	if got := backend.Connections.Load(); got != connectionsPerAddress+1 {
		t.Fatalf("after eviction the request did not use a new connection: %d connections", got)
	}
}

func TestDialErrorForRefusedConnection(t *testing.T) {
	servingCA := backendtest.NewCA(t, "serving-ca")
	backend := backendtest.StartBackend(t, servingCA, serverName, nil, whoAmI)
	addr := backend.Address
	backend.Close()
	transport, err := NewTransports(nil).For(backendtest.APIService("wardle.example.com", "v1", "wardle", "api", servingCA.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = get(t, transport.RoundTripper, addr)
	var dialErr *DialError
	if !errors.As(err, &dialErr) || dialErr.Address != addr || !strings.Contains(err.Error(), addr) {
		t.Fatalf("got %v; want a *DialError for %s", err, addr)
	}
}
