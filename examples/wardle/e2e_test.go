package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/childprocess"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// wardle is the wardle binary serving an APIService registration behind an
// `aggkit serve`.
type wardle struct {
	t       *testing.T
	bin     string
	args    []string
	reg     *framework.Extension
	proc    *childprocess.Process
	logPath string
}

func buildWardle(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wardle")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build wardle: %v\n%s", err, out)
	}
	return bin
}

func (w *wardle) start() {
	w.t.Helper()
	w.logPath = filepath.Join(w.t.TempDir(), "wardle.log")
	var err error
	if w.proc, err = childprocess.Start(w.bin, append(w.reg.Args(), w.args...), w.logPath, 0); err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := w.reg.WaitServing(ctx, w.proc.Exited()); err != nil {
		w.t.Fatalf("%v\n%s", err, w.log())
	}
}

func (w *wardle) stop() {
	if w.proc != nil {
		_ = w.proc.Stop(30 * time.Second)
	}
}

func (w *wardle) log() string {
	b, _ := os.ReadFile(w.logPath)
	return string(b)
}

// eventually retries a kubectl call until it succeeds and check accepts its
// output, for what becomes true after an RBAC change or a restart.
func eventually(t *testing.T, k *framework.Kubectl, check func(string) bool, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := k.Run("", args...)
		if err == nil && check(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubectl %s: %q, %v", strings.Join(args, " "), out, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const (
	fischer = `apiVersion: wardle.example.com/v1alpha1
kind: Fischer
metadata:
  name: strict
disallowedFlunders: [banned]
`
	flunderV1alpha1 = `apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata:
  name: %s
  namespace: default
spec:
  reference: strict
  referenceType: Fischer
`
	aliceReadsFlunders = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: flunder-reader, namespace: default}
rules:
- {apiGroups: [wardle.example.com], resources: [flunders], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads-flunders, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: flunder-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`
)

// TestWardleBehindAggkit registers wardle as the APIServices
// v1alpha1.wardle.example.com and v1beta1.wardle.example.com of an
// `aggkit serve` and drives it with kubectl through aggkit only.
func TestWardleBehindAggkit(t *testing.T) {
	main := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, main.Kubeconfig)
	reg := framework.RegisterExtension(t, main, k, "wardle", "api", "wardle.example.com", "v1alpha1", "v1beta1")
	w := &wardle{t: t, bin: buildWardle(t), reg: reg,
		args: []string{"--data-dir", filepath.Join(t.TempDir(), "wardle-data")}}
	w.start()
	t.Cleanup(w.stop)
	reg.WaitAvailable(k)

	watch, stopWatch := k.Start("get", "flunders", "-n", "default", "-w", "-o", "name")
	defer stopWatch()

	t.Run("create both kinds", func(t *testing.T) {
		k.Apply(fischer)
		k.Apply(fmt.Sprintf(flunderV1alpha1, "first"))
		if out := k.MustRun("get", "fischers", "strict", "-o", "jsonpath={.disallowedFlunders[0]}"); out != "banned" {
			t.Fatalf("fischer disallowedFlunders[0] = %q", out)
		}
	})

	t.Run("v1alpha1 object reads as v1beta1 and back", func(t *testing.T) {
		out := k.MustRun("get", "flunders.v1beta1.wardle.example.com", "first", "-n", "default", "-o", "jsonpath={.spec.fischerReference}/{.spec.referenceType}")
		if out != "strict/Fischer" {
			t.Fatalf("as v1beta1: %q, want strict/Fischer", out)
		}
		k.Apply(`apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata: {name: second, namespace: default}
spec: {flunderReference: first, referenceType: Flunder}
`)
		out = k.MustRun("get", "flunders.v1alpha1.wardle.example.com", "second", "-n", "default", "-o", "jsonpath={.spec.reference}/{.spec.referenceType}")
		if out != "first/Flunder" {
			t.Fatalf("as v1alpha1: %q, want first/Flunder", out)
		}
	})

	t.Run("status update leaves spec alone and the reverse", func(t *testing.T) {
		const flunders = "flunders.v1alpha1.wardle.example.com"
		k.MustRun("patch", flunders, "first", "-n", "default", "--subresource=status", "--type=merge",
			"-p", `{"status":{"phase":"Ready"},"spec":{"reference":"changed"}}`)
		if out := k.MustRun("get", flunders, "first", "-n", "default", "-o", "jsonpath={.status.phase}/{.spec.reference}"); out != "Ready/strict" {
			t.Fatalf("after status patch: %q, want Ready/strict", out)
		}
		k.MustRun("patch", flunders, "first", "-n", "default", "--type=merge",
			"-p", `{"status":{"phase":"Gone"},"spec":{"reference":"other"}}`)
		if out := k.MustRun("get", flunders, "first", "-n", "default", "-o", "jsonpath={.status.phase}/{.spec.reference}"); out != "Ready/other" {
			t.Fatalf("after main patch: %q, want Ready/other", out)
		}
	})

	t.Run("admission refuses a disallowed name", func(t *testing.T) {
		_, err := k.Run(fmt.Sprintf(flunderV1alpha1, "banned"), "create", "-f", "-")
		if err == nil || !strings.Contains(err.Error(), `the name "banned" is disallowed by Fischer "strict"`) {
			t.Fatalf("create banned: %v", err)
		}
	})

	t.Run("validation names the field", func(t *testing.T) {
		_, err := k.Run(`apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata: {name: bad, namespace: default}
spec: {flunderReference: x, fischerReference: y, referenceType: Flunder}
`, "create", "-f", "-")
		if err == nil || !strings.Contains(err.Error(), "spec.fischerReference") {
			t.Fatalf("create invalid: %v", err)
		}
	})

	t.Run("table output and explain", func(t *testing.T) {
		out := k.MustRun("get", "flunders", "-n", "default")
		if !strings.Contains(out, "REFERENCE-TYPE") || !strings.Contains(out, "second") {
			t.Fatalf("kubectl get flunders:\n%s", out)
		}
		// aggkit publishes wardle's OpenAPI once it has fetched it, a
		// moment after the APIService became Available.
		eventually(t, k, func(out string) bool { return strings.Contains(out, "flunderReference") },
			"explain", "flunders.spec")
	})

	t.Run("computed resource lists", func(t *testing.T) {
		out := k.MustRun("get", "referencekinds", "-o", "jsonpath={range .items[*]}{.metadata.name}={.namespaced} {end}")
		if out != "flunder=true fischer=false " {
			t.Fatalf("referencekinds: %q", out)
		}
		if out := k.MustRun("get", "referencekind", "fischer"); !strings.Contains(out, "REFERENCE-TYPE") || !strings.Contains(out, "Fischer") {
			t.Fatalf("kubectl get referencekind fischer:\n%s", out)
		}
	})

	t.Run("watch saw the creates", func(t *testing.T) {
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(watch.String(), "flunder.wardle.example.com/second") {
			if time.Now().After(deadline) {
				t.Fatalf("watch output:\n%s", watch.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		// An open watch would hold wardle's graceful shutdown in the
		// restart below until its timeout.
		stopWatch()
	})

	t.Run("a user is denied until a RoleBinding allows", func(t *testing.T) {
		alice := framework.NewKubectl(t, main.UserKubeconfig("alice", "developers"))
		_, err := alice.Run("", "get", "flunders", "-n", "default")
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "forbidden") {
			t.Fatalf("alice before RoleBinding: %v, want forbidden", err)
		}
		k.Apply(aliceReadsFlunders)
		// aggkit authorizes by RBAC, then wardle asks aggkit again by
		// SubjectAccessReview for the identity aggkit forwarded.
		eventually(t, alice, func(out string) bool { return strings.TrimSpace(out) == "flunder.wardle.example.com/first" },
			"get", "flunder", "first", "-n", "default", "-o", "name")
		if _, err := alice.Run("", "delete", "flunder", "first", "-n", "default"); err == nil || !strings.Contains(strings.ToLower(err.Error()), "forbidden") {
			t.Fatalf("alice delete: %v, want forbidden", err)
		}
	})

	t.Run("restart keeps data", func(t *testing.T) {
		w.stop()
		w.start()
		// Every version's APIService must be Available again, not only the
		// first one to be probed.
		reg.WaitAvailable(k)
		eventually(t, k, func(out string) bool { return strings.TrimSpace(out) == "flunder.wardle.example.com/second" },
			"get", "flunder", "second", "-n", "default", "-o", "name")
	})

	t.Run("delete both kinds", func(t *testing.T) {
		k.MustRun("delete", "flunder", "first", "second", "-n", "default")
		k.MustRun("delete", "fischer", "strict")
		if out := k.MustRun("get", "flunders", "-A", "-o", "name"); strings.TrimSpace(out) != "" {
			t.Fatalf("flunders left: %q", out)
		}
	})
}
