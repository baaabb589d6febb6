package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// echoBackend is a small extension server that trusts only the aggregator's
// proxy certificate (the front-proxy CA) and answers every request with the
// identity headers it received.
func echoBackend(t *testing.T, a *framework.Aggkit, serving *framework.ServingCert) *httptest.Server {
	t.Helper()
	frontProxyCA, err := os.ReadFile(filepath.Join(a.DataDir, "pki", "front-proxy-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AppendCertsFromPEM(frontProxyCA)
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/apis/echo.example.com/v1" {
			_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "echo.example.com/v1",
				APIResources: []metav1.APIResource{{Name: "echoes", Kind: "Echo", Namespaced: true, Verbs: []string{"get", "list"}}}})
			return
		}
		if r.Header.Get("Upgrade") == "websocket" {
			echoUpgrade(w, r)
			return
		}
		seen := map[string]any{
			"user": r.Header.Values("X-Remote-User"), "groups": r.Header.Values("X-Remote-Group"),
			"impersonate": r.Header.Values("Impersonate-User"), "authorization": r.Header.Values("Authorization"),
			"peer": r.TLS.PeerCertificates[0].Subject.CommonName,
		}
		_ = json.NewEncoder(w).Encode(seen)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: clientCAs, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestProxyIdentity: the backend sees exactly the caller aggkit
// authenticated, never an identity the caller wrote into headers.
func TestProxyIdentity(t *testing.T) {
	a := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, a.Kubeconfig)
	serving := framework.NewServingCert(t, "echo", "api")
	backend := echoBackend(t, a, serving)
	registerBackend(t, k, serving, backend.URL, "echo")

	// bob may read echoes, nothing more.
	k.Apply(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"echo-reader"},
		"rules":[{"apiGroups":["echo.example.com"],"resources":["echoes"],"verbs":["get","list"]}]}`)
	k.MustRun("create", "clusterrolebinding", "bob-echo", "--clusterrole=echo-reader", "--user=bob")
	bob := a.RESTConfig()
	bobKubeconfig := a.UserKubeconfig("bob", "team-a", "team-b")
	cfg, err := clientcmdConfig(bobKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client := framework.HTTPClient(t, cfg)
	var seen struct {
		User, Groups, Impersonate, Authorization []string
		Peer                                     string
	}
	framework.Eventually(t, 30*time.Second, func() bool {
		req, _ := http.NewRequest("GET", bob.Host+"/apis/echo.example.com/v1/namespaces/default/echoes", nil)
		req.Header.Set("X-Remote-User", "admin")
		req.Header.Add("X-Remote-Group", "system:masters")
		req.Header.Set("x-remote-extra-scopes", "all")
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&seen) == nil
	}, func() string { return "bob never reached the echo backend" })
	if strings.Join(seen.User, ",") != "bob" {
		t.Errorf("backend saw user %v, want bob", seen.User)
	}
	groups := strings.Join(seen.Groups, ",")
	if strings.Contains(groups, "system:masters") || !strings.Contains(groups, "team-a") || !strings.Contains(groups, "team-b") || !strings.Contains(groups, "system:authenticated") {
		t.Errorf("backend saw groups %v", seen.Groups)
	}
	if len(seen.Authorization) > 0 || len(seen.Impersonate) > 0 {
		t.Errorf("credentials reached the backend: %+v", seen)
	}
	if seen.Peer != "aggregator" {
		t.Errorf("backend saw client certificate %q, want the aggregator's proxy certificate", seen.Peer)
	}

	// Impersonation without the right is refused at aggkit; nothing reaches
	// the backend as the impersonated user.
	req, _ := http.NewRequest("GET", bob.Host+"/apis/echo.example.com/v1/namespaces/default/echoes", nil)
	req.Header.Set("Impersonate-User", "admin")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("impersonation without rights: HTTP %d", resp.StatusCode)
	}

	// A protocol upgrade (what exec, attach and port-forward use) is
	// proxied both ways, with the caller's identity.
	conn, err := tls.Dial("tcp", strings.TrimPrefix(bob.Host, "https://"), clientTLS(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "GET /apis/echo.example.com/v1/namespaces/default/echoes/x HTTP/1.1\r\nHost: %s\r\n"+
		"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		strings.TrimPrefix(bob.Host, "https://"))
	reader := bufio.NewReader(conn)
	upgraded, err := http.ReadResponse(reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	if upgraded.StatusCode != http.StatusSwitchingProtocols || upgraded.Header.Get("X-Echo-User") != "bob" {
		t.Fatalf("upgrade: HTTP %d, backend saw user %q", upgraded.StatusCode, upgraded.Header.Get("X-Echo-User"))
	}
	for _, msg := range []string{"ping\n", "second\n"} {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		line, err := reader.ReadString('\n')
		if err != nil || line != msg {
			t.Fatalf("echo through the upgraded connection: %q, %v", line, err)
		}
	}
}

// echoUpgrade switches protocols and echoes every byte back, telling in a
// response header which user it was upgraded for.
func echoUpgrade(w http.ResponseWriter, r *http.Request) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Echo-User: %s\r\n\r\n", r.Header.Get("X-Remote-User"))
	_ = buf.Flush()
	_, _ = io.Copy(conn, buf)
}

// clientTLS is cfg's TLS client configuration, for a raw connection.
func clientTLS(t *testing.T, cfg *rest.Config) *tls.Config {
	t.Helper()
	tlsCfg, err := rest.TLSConfigFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg.NextProtos = []string{"http/1.1"}
	return tlsCfg
}
