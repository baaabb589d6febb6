package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestOldestKubectl: kubectl 1.27, the oldest release issue 3 names, works
// against aggkit with the real sample-apiserver behind it. It predates
// aggregated discovery v2 (it asks for v2beta1, then falls back), server-side
// field validation by default and explain from OpenAPI v3. The newest
// releases are covered by the kubectl every other test builds (go.mod's).
func TestOldestKubectl(t *testing.T) {
	bin := framework.BuildKubectlVersion(t, "v1.27")
	s := framework.StartAggregatedSample(t)
	k := framework.NewKubectlAt(t, bin, s.Aggkit.Kubeconfig)

	if out := k.MustRun("version", "--client", "-o", "json"); !strings.Contains(out, `"gitVersion": "v1.27.`) {
		t.Fatalf("not kubectl 1.27:\n%s", out)
	}
	// Discovery: built-in groups, and the aggregated one.
	resources := k.MustRun("api-resources")
	for _, want := range []string{"namespaces", "apiservices", "clusterroles", "flunders", "fischers"} {
		if !strings.Contains(resources, want) {
			t.Errorf("api-resources lacks %s:\n%s", want, resources)
		}
	}
	if out := k.MustRun("get", "apiservices", wardleAPIService); !strings.Contains(out, "True") {
		t.Errorf("get apiservice:\n%s", out)
	}
	framework.Eventually(t, 30*time.Second, func() bool {
		out, err := k.Run("", "explain", "flunders.spec")
		return err == nil && strings.Contains(out, "reference")
	}, func() string { out, err := k.Run("", "explain", "flunders.spec"); return out + errString(err) })

	watch, stop := k.Start("get", "flunders", "-n", "default", "-w", "--output-watch-events")
	defer stop()
	time.Sleep(time.Second)
	flunder := `{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"old","namespace":"default"},"spec":{"reference":"x"}}`
	k.Apply(flunder)
	k.Apply(flunder, "--server-side")
	k.MustRun("label", "flunder", "old", "-n", "default", "era=1.27")
	if got := k.MustRun("get", "flunders", "-n", "default", "-l", "era=1.27", "-o", "jsonpath={.items[*].metadata.name}"); got != "old" {
		t.Errorf("labelled flunder: %q", got)
	}
	// Built-in resources through the same client.
	k.MustRun("create", "configmap", "old-client", "-n", "default", "--from-literal=a=b")
	if got := k.MustRun("get", "configmap", "old-client", "-n", "default", "-o", "jsonpath={.data.a}"); got != "b" {
		t.Errorf("configmap: %q", got)
	}
	if got := strings.TrimSpace(k.MustRun("auth", "can-i", "delete", "flunders")); got != "yes" {
		t.Errorf("auth can-i as admin: %q", got)
	}
	k.MustRun("delete", "flunder", "old", "-n", "default")
	framework.Eventually(t, 30*time.Second, func() bool {
		w := watch.String()
		return strings.Contains(w, "ADDED") && strings.Contains(w, "DELETED")
	}, func() string { return "watch with kubectl 1.27:\n" + watch.String() })
}
