package childprocess

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func TestPollReadyzWaitsForOK(t *testing.T) {
	asked := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked++
		if r.URL.Path != "/readyz" || asked < 3 {
			http.Error(w, "[-]poststarthook/x failed", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := PollReadyz(ctx, srv.Client(), srv.URL, "server", nil, nil); err != nil || asked != 3 {
		t.Errorf("err %v after %d requests, want nil after 3", err, asked)
	}
}

func TestKubeconfigReadyzWaitsForTheFileOfThisRun(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer admin-token" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	path := filepath.Join(t.TempDir(), "admin.kubeconfig")
	write := func(server string) {
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server,
			CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
		cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: "admin-token"}
		cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "admin"}
		cfg.CurrentContext = "c"
		if err := clientcmd.WriteToFile(*cfg, path); err != nil {
			t.Fatal(err)
		}
	}

	ready := KubeconfigReadyz(path, port)
	ctx := context.Background()
	if err := ready(ctx); err == nil {
		t.Fatal("ready before the kubeconfig was written")
	}
	write("https://127.0.0.1:1") // an earlier run's
	if err := ready(ctx); err == nil || !strings.Contains(err.Error(), "not port "+u.Port()) {
		t.Fatalf("a kubeconfig for another port: %v", err)
	}
	write(srv.URL)
	if err := ready(ctx); err != nil {
		t.Fatalf("with this run's kubeconfig: %v", err)
	}
}
