package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestKubectlReleases: older kubectl releases work against aggkit with the
// real sample-apiserver behind it. CI runs 1.27, the oldest release issue 3
// names: it predates aggregated discovery v2 (it asks for v2beta1, then
// falls back), server-side field validation by default and explain from
// OpenAPI v3. AGGKIT_KUBECTL_RELEASES=v1.27,v1.30,v1.33 runs every release
// under test/tools/kubectl-versions (each a build of a few minutes). The
// newest kubectl is the one every other test builds, go.mod's.
func TestKubectlReleases(t *testing.T) {
	releases := []string{"v1.27"}
	if env := os.Getenv("AGGKIT_KUBECTL_RELEASES"); env != "" {
		releases = strings.Split(env, ",")
	}
	for _, release := range releases {
		t.Run(release, func(t *testing.T) { testKubectlRelease(t, release) })
	}
}

func testKubectlRelease(t *testing.T, release string) {
	bin := framework.BuildKubectlVersion(t, release)
	s := framework.StartAggregatedSample(t)
	k := framework.NewKubectlAt(t, bin, s.Aggkit.Kubeconfig)

	if out := k.MustRun("version", "--client", "-o", "json"); !strings.Contains(out, `"gitVersion": "`+release+`.`) {
		t.Fatalf("not kubectl %s:\n%s", release, out)
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
	k.MustRun("label", "flunder", "old", "-n", "default", "era="+release)
	if got := k.MustRun("get", "flunders", "-n", "default", "-l", "era="+release, "-o", "jsonpath={.items[*].metadata.name}"); got != "old" {
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
	}, func() string { return "watch with kubectl " + release + ":\n" + watch.String() })
}
