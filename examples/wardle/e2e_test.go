package main_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

func TestMain(m *testing.M) {
	code := m.Run()
	framework.Cleanup()
	os.Exit(code)
}

// wardle is the wardle binary running with delegated authentication and
// authorization against an `aggkit serve`.
type wardle struct {
	t       *testing.T
	bin     string
	args    []string
	port    int
	cmd     *exec.Cmd
	exited  chan struct{}
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

func (w *wardle) start(admin *rest.Config) {
	w.t.Helper()
	w.cmd = exec.Command(w.bin, w.args...)
	w.logPath = filepath.Join(w.t.TempDir(), "wardle.log")
	logFile, err := os.Create(w.logPath)
	if err != nil {
		w.t.Fatal(err)
	}
	w.cmd.Stdout, w.cmd.Stderr = logFile, logFile
	if err := w.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.exited = make(chan struct{})
	go func() { _ = w.cmd.Wait(); logFile.Close(); close(w.exited) }()

	client, err := rest.HTTPClientFor(admin)
	if err != nil {
		w.t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-w.exited:
			w.t.Fatalf("wardle exited before ready:\n%s", w.log())
		default:
		}
		if resp, err := client.Get(admin.Host + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.t.Fatalf("wardle not ready:\n%s", w.log())
}

func (w *wardle) stop() {
	if w.cmd == nil || w.cmd.Process == nil {
		return
	}
	select {
	case <-w.exited:
		return
	default:
	}
	_ = w.cmd.Process.Signal(os.Interrupt)
	select {
	case <-w.exited:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
}

func (w *wardle) log() string {
	b, _ := os.ReadFile(w.logPath)
	return string(b)
}

// kubeconfigFor rewrites a main-server kubeconfig to talk to wardle directly
// with the same client certificate.
func kubeconfigFor(t *testing.T, mainKubeconfig string, port int) (string, *rest.Config) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(mainKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://127.0.0.1:" + strconv.Itoa(port)
		c.CertificateAuthority, c.CertificateAuthorityData = "", nil
		c.InsecureSkipTLSVerify = true // wardle's serving certificate is self-signed
	}
	path := filepath.Join(t.TempDir(), "wardle.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	return path, rc
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
)

func TestWardleWithKubectl(t *testing.T) {
	// kubectl caches discovery and OpenAPI per host:port; a port reused from
	// another test's server must not serve us its stale documents.
	t.Setenv("KUBECACHEDIR", t.TempDir())
	main := framework.StartAggkit(t, "")
	w := &wardle{t: t, bin: buildWardle(t), port: framework.FreePort(t)}
	dataDir := filepath.Join(t.TempDir(), "wardle-data")
	w.args = []string{"--kubeconfig", main.Kubeconfig, "--data-dir", dataDir, "--secure-port", strconv.Itoa(w.port)}
	adminPath, adminConfig := kubeconfigFor(t, main.Kubeconfig, w.port)
	w.start(adminConfig)
	t.Cleanup(w.stop)
	k := framework.NewKubectl(t, adminPath)

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
		if out := k.MustRun("explain", "flunders.spec"); !strings.Contains(out, "flunderReference") {
			t.Fatalf("kubectl explain flunders.spec:\n%s", out)
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
	})

	t.Run("a user denied by SubjectAccessReview gets 403", func(t *testing.T) {
		alicePath, _ := kubeconfigFor(t, main.UserKubeconfig("alice", "developers"), w.port)
		_, err := framework.NewKubectl(t, alicePath).Run("", "get", "flunders", "-n", "default")
		if err == nil || !strings.Contains(err.Error(), "Forbidden") && !strings.Contains(err.Error(), "forbidden") {
			t.Fatalf("alice: %v, want forbidden", err)
		}
	})

	t.Run("restart keeps data", func(t *testing.T) {
		w.stop()
		w.start(adminConfig)
		if out := k.MustRun("get", "flunder", "second", "-n", "default", "-o", "name"); strings.TrimSpace(out) != "flunder.wardle.example.com/second" {
			t.Fatalf("after restart: %q", out)
		}
	})
}
