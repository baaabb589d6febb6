package framework

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// BuildKubectlVersion builds the kubectl of test/tools/kubectl-versions/<release>
// (its own module, pinning k8s.io/kubectl at that release) into a temporary
// folder, stamped with the version it reports to servers.
func BuildKubectlVersion(t testing.TB, release string) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(), "test", "tools", "kubectl-versions", release)
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, r := range f.Require {
		if r.Mod.Path == "k8s.io/kubectl" {
			version = "v1" + strings.TrimPrefix(r.Mod.Version, "v0")
		}
	}
	if version == "" {
		t.Fatalf("%s/go.mod does not require k8s.io/kubectl", dir)
	}
	major, minor, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	const v = "k8s.io/component-base/version."
	ldflags := fmt.Sprintf("-X %sgitVersion=%s -X %sgitMajor=%s -X %sgitMinor=%s", v, version, v, major, v, minor)
	bin := filepath.Join(t.TempDir(), "kubectl-"+release)
	cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build kubectl %s: %v\n%s", release, err, out)
	}
	return bin
}
