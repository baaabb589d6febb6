package proxy

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aggkit/aggkit/pkg/aggregator/backend/backendtest"
)

// TestProxyCertRotation follows kube-aggregator's TestProxyCertReload: a
// backend that does not trust the proxy certificate fails with 503 until the
// certificate files are replaced and reloaded.
func TestProxyCertRotation(t *testing.T) {
	h := newHarness(t, nil)
	trustedCA := backendtest.NewCA(t, "rotated-front-proxy-ca")
	b := backendtest.StartBackend(t, h.servingCA, serverName, trustedCA.Pool(), headerEcho)
	h.route(t, b.Address)
	h.register(nil)

	if r := h.get(t, groupPath); r.code != http.StatusServiceUnavailable {
		t.Fatalf("with an untrusted proxy cert: %d %s; want 503", r.code, r.body)
	}
	trustedCA.WriteClientCert(t, h.certFile, h.keyFile, "rotated-proxy-client")
	if err := h.certProvider.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := h.get(t, groupPath)
	if r.code != http.StatusOK {
		t.Fatalf("after rotation: %d %s", r.code, r.body)
	}
	if want := `"client-cert-cn":["rotated-proxy-client"]`; !strings.Contains(r.body, want) {
		t.Fatalf("backend saw %s; want %s", r.body, want)
	}
}
