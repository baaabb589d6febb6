package scaffold

import (
	"context"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/codegen"
)

// TestProjectBuildsOffline makes a real project the way a user does and
// builds it with the module proxy off: init, two kinds (one cluster-wide
// with status) and a second version of one, with the generators run by
// create; then go build, go vet, the generators' verify mode and the
// project's own test, which serves every kind behind a control plane.
// It takes minutes: it compiles k8s.io/apiserver and runs the generators.
func TestProjectBuildsOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a whole project; skipped with -short")
	}
	// Offline means: with what building aggkit put in the module cache. On a
	// fresh machine `go vet` and `go test` of aggkit leave its tool
	// dependencies (the code generators) undownloaded, so fetch them first.
	goCmd(t, ".", "mod", "download")
	// The child go commands inherit these: nothing may come from the network,
	// and nothing may need -mod=mod.
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "")
	t.Setenv("GOWORK", "off")
	ctx := context.Background()
	started := time.Now()
	dir := initProject(t)
	yes, no := true, false
	steps := []ResourceOptions{
		{Group: "insurance", Version: "v1beta1", Kind: "Policy", Status: &yes, SkipGenerate: true},
		{Group: "insurance", Version: "v1beta1", Kind: "Insurer", Namespaced: &no, Status: &yes, SkipGenerate: true},
		{Group: "insurance", Version: "v1", Kind: "Policy"}, // runs the generators for all three
	}
	for _, s := range steps {
		s.Dir = dir
		s.Out = testWriter{t}
		start := time.Now()
		if err := CreateResource(ctx, s); err != nil {
			t.Fatal(err)
		}
		t.Logf("create %s %s: %s", s.Kind, s.Version, time.Since(start).Round(time.Second))
	}

	moduleCacheUntouched(t, dir, started, "k8s.io/apimachinery")

	goCmd(t, dir, "build", "./...")
	goCmd(t, dir, "vet", "./...")
	if out := goCmd(t, dir, "tool", "-n", "aggkit"); len(out) == 0 {
		t.Errorf("go tool -n aggkit printed nothing")
	}
	if err := codegen.Generate(ctx, codegen.Options{Dir: dir, Verify: true, Out: testWriter{t}}); err != nil {
		t.Errorf("generated code of a fresh project is stale: %v", err)
	}
	goCmd(t, dir, "test", "-count=1", "./...")
}

// moduleCacheUntouched fails the test if any file of module, as dir's
// go.mod resolves it, was written since started: the generators read the
// module cache and must never write to it (as root, its read-only
// permissions stop nothing).
func moduleCacheUntouched(t *testing.T, dir string, started time.Time, module string) {
	t.Helper()
	root := strings.TrimSpace(string(goCmd(t, dir, "list", "-m", "-f", "{{.Dir}}", module)))
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().After(started) {
			t.Errorf("the generators wrote %s in the module cache", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// goCmd runs go in dir and fails the test with its output if it fails.
func goCmd(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	start := time.Now()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	t.Logf("go %v: %s", args, time.Since(start).Round(time.Second))
	return out
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
