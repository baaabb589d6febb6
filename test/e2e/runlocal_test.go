package e2e

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// `aggkit run local` on examples/wardle: kubectl reaches the new API through
// the printed KUBECONFIG, Ctrl-C stops everything with status 0, and a
// second run finds the flunder created in the first.
func TestRunLocalWardle(t *testing.T) {
	dir := wardleDir(t)
	state := t.TempDir()
	port := framework.FreePort(t)
	const flunder = `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"kept","namespace":"default"}}`

	steps := []struct {
		name string
		// check runs against the running server with kubectl.
		check func(t *testing.T, k *framework.Kubectl)
	}{
		{name: "first run: empty, then a flunder is created", check: func(t *testing.T, k *framework.Kubectl) {
			out, err := k.CombinedOutput("get", "flunders")
			if err != nil || !strings.Contains(out, "No resources found") {
				t.Fatalf("get flunders on a new state dir: %v\n%s", err, out)
			}
			if _, err := k.Run(flunder, "create", "-f", "-"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "second run: the flunder is still there", check: func(t *testing.T, k *framework.Kubectl) {
			if out := k.MustRun("get", "flunders", "-o", "name"); strings.TrimSpace(out) != "flunder.wardle.example.com/kept" {
				t.Fatalf("get flunders after a restart: %q", out)
			}
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			run := framework.StartRunLocal(t, dir, state, port, 10*time.Minute)
			t.Logf("run local: Available %s after the build", run.Available)
			if want := filepath.Join(state, "controlplane", "admin.kubeconfig"); run.Kubeconfig != want {
				t.Errorf("export KUBECONFIG=%s, want %s", run.Kubeconfig, want)
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

// wardleDir is examples/wardle in this module.
func wardleDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "wardle")
}
