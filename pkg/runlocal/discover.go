package runlocal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/pkg/kubeversion"
)

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
