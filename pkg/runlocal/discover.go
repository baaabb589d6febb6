package runlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/kubeversion"
)

// serverClient reaches the extension server directly (not through the
// aggregator): it trusts the serving CA and presents the control plane's
// admin certificate, which the server accepts (its client CA comes from
// the control plane) and authorizes (system:masters is always allowed).
func serverClient(admin *rest.Config, servingCA []byte, port int) (*rest.Config, *http.Client, error) {
	cfg := rest.AnonymousClientConfig(admin)
	cfg.CertData, cfg.KeyData = admin.CertData, admin.KeyData
	cfg.CertFile, cfg.KeyFile = admin.CertFile, admin.KeyFile
	cfg.Host = fmt.Sprintf("https://127.0.0.1:%d", port)
	cfg.CAData, cfg.CAFile = servingCA, ""
	client, err := rest.HTTPClientFor(cfg)
	return cfg, client, err
}

// waitServing polls the server's /readyz until it answers ok; it is ready
// once it has read the client CA from the control plane. It gives up when
// the process exits.
func waitServing(ctx context.Context, client *http.Client, host string, p *process) error {
	return pollReadyz(ctx, client, host, "server", p.exited, func() error { return errors.New(p.exitReason()) })
}

// WaitServerReady polls the /readyz of the extension server on
// 127.0.0.1:port, which servingCA verifies, until it answers ok or ctx ends.
// pkg/extension reports ready once it has loaded both CAs it authenticates
// with, so a probe from the aggregator after that is not taken for
// anonymous.
func WaitServerReady(ctx context.Context, admin *rest.Config, servingCA []byte, port int) error {
	cfg, client, err := serverClient(admin, servingCA, port)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	return pollReadyz(ctx, client, cfg.Host, "server", nil, nil)
}

// servedGroup reads the server's discovery: the one API group it serves
// and its versions, most preferred first.
func servedGroup(ctx context.Context, client *http.Client, host string) (string, []string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, host+"/apis", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("server discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("server discovery /apis: HTTP %d", resp.StatusCode)
	}
	var groups metav1.APIGroupList
	if err := json.NewDecoder(resp.Body).Decode(&groups); err != nil {
		return "", nil, fmt.Errorf("server discovery /apis: %w", err)
	}
	if len(groups.Groups) != 1 {
		return "", nil, fmt.Errorf("server discovery /apis: %d groups, want exactly one", len(groups.Groups))
	}
	g := groups.Groups[0]
	var versions []string
	for _, v := range g.Versions {
		versions = append(versions, v.Version)
	}
	// Ranked as Kubernetes ranks them (GA, beta, alpha), as build config
	// does, whatever the server's own preference.
	kubeversion.Sort(versions)
	return g.Name, versions, nil
}
