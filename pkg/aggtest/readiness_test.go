package aggtest_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/examples/wardle/server"
	"github.com/aggkit/aggkit/pkg/controlplane"
	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
	"github.com/aggkit/aggkit/pkg/deploy"
)

// An extension server is not ready while it has the client CA but not the
// requestheader CA: the aggregator's requests would be taken for anonymous.
// The control plane's published ConfigMap loses its requestheader CA here
// (the control plane restores it only on its next resync, a minute later),
// so the server loads one CA and never the other. Before, its readiness
// looked at the union of both and turned ok with the client CA alone.
func TestServerNotReadyWithoutRequestHeaderCA(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cp := inprocess.StartForTest(ctx, t)

	core := kubernetes.NewForConfigOrDie(cp.Admin).CoreV1().ConfigMaps("kube-system")
	cm, err := core.Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["client-ca-file"] == "" || cm.Data["requestheader-client-ca-file"] == "" {
		t.Fatalf("the control plane published no client CA or no requestheader CA: %v", cm.Data)
	}
	delete(cm.Data, "requestheader-client-ca-file")
	if _, err := core.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	srv := server.New()
	serving, err := deploy.LoadOrCreateServing(filepath.Join(dir, "pki"), "wardle", "wardle", net.IPv4(127, 0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "server.kubeconfig")
	if err := cp.Server.WriteClientKubeconfig(kubeconfig, controlplane.ServiceAccountCredentials("wardle", deploy.DefaultServiceAccount)); err != nil {
		t.Fatal(err)
	}
	local := deploy.Local{Name: "wardle", Namespace: "wardle", ServiceAccount: deploy.DefaultServiceAccount}
	identity, _ := deploy.SplitRouting(deploy.LocalObjects(local))
	if err := deploy.Apply(ctx, cp.Admin, identity, nil); err != nil {
		t.Fatal(err)
	}
	serverListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := serverListener.Addr().(*net.TCPAddr).Port
	o := srv.Options()
	o.InMemory = true
	o.Recommended.SecureServing.Listener = serverListener
	o.Recommended.SecureServing.BindPort = port
	o.Recommended.SecureServing.ServerCert.CertKey.CertFile = serving.CertFile
	o.Recommended.SecureServing.ServerCert.CertKey.KeyFile = serving.KeyFile
	o.Recommended.CoreAPI.CoreAPIKubeconfigPath = kubeconfig
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })

	client, err := rest.HTTPClientFor(&rest.Config{TLSClientConfig: rest.TLSClientConfig{CAData: serving.CA.CertPEM()}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	// Wait until the client CA is loaded; the requestheader CA never is.
	url := "https://127.0.0.1:" + strconv.Itoa(port) + "/readyz?verbose"
	for {
		code, body := get(ctx, client, url)
		if strings.Contains(body, "[+]client-ca ok") {
			if code == http.StatusOK {
				t.Fatalf("/readyz answers ok with no requestheader CA loaded:\n%s", body)
			}
			if !strings.Contains(body, "[-]requestheader-client-ca failed") {
				t.Errorf("/readyz does not name the missing requestheader CA:\n%s", body)
			}
			return
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v", err)
		case <-ctx.Done():
			t.Fatalf("the client CA never loaded; last /readyz (HTTP %d):\n%s", code, body)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, client *http.Client, url string) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
