package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestWorkflowFromEmptyFolder walks the path of issue 5 with the built
// aggkit and the real kubectl, offline: init and create in an empty folder,
// run local, kubectl CRUD of the new kind through the aggregator, Ctrl-C,
// and a second run that finds the object again.
func TestWorkflowFromEmptyFolder(t *testing.T) {
	bins, err := framework.Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := framework.DownloadModules(); err != nil {
		t.Fatal(err)
	}
	// Everything comes from the module cache and the aggkit source.
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "")
	t.Setenv("GOWORK", "off")
	dir := filepath.Join(t.TempDir(), "shop")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	aggkit := func(args ...string) string {
		t.Helper()
		start := time.Now()
		cmd := exec.Command(bins.Aggkit, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aggkit %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("aggkit %s: %s", strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
		return string(out)
	}
	aggkit("init", "repo", "--domain", "example.com")
	aggkit("create", "group", "version", "resource", "--group", "insurance", "--version", "v1beta1", "--kind", "Policy", "--status")
	if out := aggkit("create", "group", "version", "resource", "--group", "insurance", "--version", "v1beta1", "--kind", "Policy", "--status"); !strings.Contains(out, "nothing changed") {
		t.Errorf("a second create of the same kind should say nothing changed:\n%s", out)
	}

	state := filepath.Join(dir, ".aggkit")
	port := framework.FreePort(t)
	const policy = `apiVersion: insurance.example.com/v1beta1
kind: Policy
metadata: {name: fire, namespace: default}
spec: {description: covers fire, priority: 3}
`
	steps := []struct {
		name  string
		check func(t *testing.T, k *framework.Kubectl)
	}{
		{"first run: CRUD through the aggregator", func(t *testing.T, k *framework.Kubectl) {
			if out, err := k.CombinedOutput("get", "policies"); err != nil || !strings.Contains(out, "No resources found") {
				t.Fatalf("get policies in a new project: %v\n%s", err, out)
			}
			if out := k.MustRun("api-resources", "--api-group", "insurance.example.com", "-o", "name"); strings.TrimSpace(out) != "policies.insurance.example.com" {
				t.Errorf("api-resources: %q", out)
			}
			k.Apply(policy)
			k.MustRun("patch", "policy", "fire", "-n", "default", "--type=merge", "-p", `{"spec":{"priority":5}}`)
			if got := k.MustRun("get", "policy", "fire", "-n", "default", "-o", "jsonpath={.spec.priority}"); got != "5" {
				t.Errorf("priority after patch: %q", got)
			}
			bad := strings.NewReplacer("name: fire", "name: bad", "priority: 3", "priority: -1").Replace(policy)
			if _, err := k.Run(bad, "apply", "-f", "-"); err == nil || !strings.Contains(err.Error(), "spec.priority") {
				t.Errorf("a negative priority should be refused naming spec.priority, got %v", err)
			}
			if out, err := k.CombinedOutput("get", "policy", "bad", "-n", "default"); err == nil {
				t.Errorf("the refused policy was stored:\n%s", out)
			}
		}},
		{"second run: the policy is still there", func(t *testing.T, k *framework.Kubectl) {
			if got := k.MustRun("get", "policies", "-n", "default", "-o", "jsonpath={.items[*].metadata.name}={.items[*].spec.priority}"); got != "fire=5" {
				t.Fatalf("policies after a restart: %q", got)
			}
			k.MustRun("delete", "policy", "fire", "-n", "default")
			if out, err := k.CombinedOutput("get", "policies", "-n", "default"); err != nil || !strings.Contains(out, "No resources found") {
				t.Fatalf("get policies after delete: %v\n%s", err, out)
			}
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			run := framework.StartRunLocal(t, dir, state, port, 10*time.Minute)
			t.Logf("run local: Available %s after the build", run.Available)
			// create ran the generators; nothing in apis/ changed since.
			if !strings.Contains(run.Output(), "generated code is up to date") {
				t.Errorf("run local ran the generators again for unchanged API sources:\n%s", run.Output())
			}
			step.check(t, framework.NewKubectl(t, run.Kubeconfig))
			took, err := run.Interrupt(15 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("stopped %s after SIGINT", took)
		})
	}
}
