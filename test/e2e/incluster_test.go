package e2e

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/aggkit/aggkit/pkg/childprocess"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestReadmeInCluster runs the README's in-cluster commands with the built
// aggkit and the real kubectl: build image --push (to a registry this test
// serves), build config, kubectl apply -k, doctor. aggkit serve stands in
// for the cluster; it has no Deployments, so the test does the kubelet's
// part: it pulls the image by the pinned digest, runs its entrypoint with
// the Deployment's arguments and the Secret's certificate, and writes the
// Service's Endpoints. The APIService must then become Available.
func TestReadmeInCluster(t *testing.T) {
	// aggkit build image --push --image registry.example.com/shop:v0.1.0,
	// run once for all image tests; pushedWardle fails when it prints no
	// digest. The steps after it work in a copy of that project.
	pushed := pushedWardle(t)
	agg := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, agg.Kubeconfig)
	dir := copyProject(t)
	aggkit := func(args ...string) (string, error) {
		cmd := exec.Command(mustBuild(t).Aggkit, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "KUBECONFIG="+agg.Kubeconfig)
		out, err := cmd.CombinedOutput()
		t.Logf("aggkit %s:\n%s", strings.Join(args, " "), out)
		return string(out), err
	}

	// aggkit build config
	if _, err := aggkit("build", "config"); err != nil {
		t.Fatal(err)
	}
	deployment := &appsv1.Deployment{}
	readYAML(t, filepath.Join(dir, "config", "deployment.yaml"), deployment)
	container := deployment.Spec.Template.Spec.Containers[0]
	if container.Image != pushed.Pinned {
		t.Fatalf("the Deployment runs %s, the push was %s", container.Image, pushed.Pinned)
	}

	// kubectl apply -k config/: everything but the kinds aggkit lacks
	// (apps/v1 Deployment, its PodDisruptionBudget, the embedded etcd's
	// PersistentVolumeClaim).
	// --validate=false only because of those: kubectl's client-side check
	// of kinds it cannot find (looking for CRDs) would stop it before the
	// APIService; a cluster serves them.
	out, err := k.CombinedOutput("apply", "-k", filepath.Join(dir, "config"), "--validate=false")
	t.Logf("kubectl apply -k config:\n%s", out)
	for _, want := range []string{"namespace/wardle", "serviceaccount/apiserver", "secret/wardle-serving-cert",
		"service/wardle", "apiservice.apiregistration.k8s.io/v1alpha1.wardle.example.com"} {
		if !strings.Contains(out, want+" created") {
			t.Errorf("kubectl apply did not create %s", want)
		}
	}
	refused := regexp.MustCompile(`no matches for kind "(\w+)"`).FindAllStringSubmatch(out, -1)
	var kinds []string
	for _, m := range refused {
		kinds = append(kinds, m[1])
	}
	slices.Sort(kinds)
	if err == nil || strings.Join(kinds, " ") != "Deployment PersistentVolumeClaim PodDisruptionBudget" {
		t.Errorf("want exactly the kinds aggkit serve lacks refused, got %v: %v", kinds, err)
	}

	runAsKubelet(t, agg, k, pushed.Pinned, container)

	// aggkit doctor v1alpha1.wardle.example.com
	framework.Eventually(t, 2*time.Minute, func() bool {
		_, err := aggkit("doctor", "v1alpha1.wardle.example.com")
		return err == nil
	}, func() string { return "aggkit doctor still finds a broken link" })
	k.MustRun("wait", "--for=condition=Available", "apiservice/v1alpha1.wardle.example.com", "--timeout=60s")
	if out, err := k.Run("apiVersion: wardle.example.com/v1alpha1\nkind: Flunder\nmetadata: {name: from-the-image}\n",
		"-n", "wardle", "create", "-f", "-"); err != nil {
		t.Errorf("create a Flunder through the aggregator: %v\n%s", err, out)
	}
}

func mustBuild(t *testing.T) framework.Binaries {
	t.Helper()
	bins, err := framework.Build()
	if err != nil {
		t.Fatal(err)
	}
	return bins
}

// runAsKubelet runs the container as the Deployment describes it, here:
// the image's entrypoint pulled by ref, the container's arguments with its
// paths moved into a temporary folder, the serving certificate from the
// Secret, and a token of the pod's ServiceAccount. It then writes the
// Endpoints the cluster's endpoints controller would.
func runAsKubelet(t *testing.T, agg *framework.Aggkit, k *framework.Kubectl, ref string, c corev1.Container) {
	t.Helper()
	digest, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(digest)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	bin := filepath.Join(root, "entrypoint")
	extractFile(t, img, strings.TrimPrefix(cfg.Config.Entrypoint[0], "/"), bin)

	secret, err := agg.Client().CoreV1().Secrets("wardle").Get(t.Context(), "wardle-serving-cert", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = filepath.Join(root, m.Name)
		if err := os.MkdirAll(mounts[m.MountPath], 0o700); err != nil {
			t.Fatal(err)
		}
		if m.Name == "serving-cert" {
			for key, data := range secret.Data {
				if err := os.WriteFile(filepath.Join(mounts[m.MountPath], key), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	port := framework.FreePort(t)
	var args []string
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--secure-port=") {
			a = "--secure-port=" + strconv.Itoa(port)
		}
		args = append(args, inMount(a, mounts))
	}
	token := strings.TrimSpace(k.MustRun("-n", "wardle", "create", "token", "apiserver"))
	args = append(args, "--bind-address=127.0.0.1", "--kubeconfig="+agg.WriteTokenKubeconfig(token))
	logPath := filepath.Join(root, "server.log")
	server, err := childprocess.Start(bin, args, logPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		server.Kill()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("server log:\n%s", log)
		}
	})
	k.Apply(fmt.Sprintf(`apiVersion: v1
kind: Endpoints
metadata: {name: wardle, namespace: wardle}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: https, port: %d, protocol: TCP}]
`, port))
}

// inMount moves the path of a --flag=path argument from the mount holding
// it (the longest that does: /tmp must not take /tmp/x's files) into the
// mount's local folder.
func inMount(arg string, mounts map[string]string) string {
	flag, path, ok := strings.Cut(arg, "=")
	if !ok {
		return arg
	}
	best := ""
	for mount := range mounts {
		if (path == mount || strings.HasPrefix(path, mount+"/")) && len(mount) > len(best) {
			best = mount
		}
	}
	if best == "" {
		return arg
	}
	return flag + "=" + mounts[best] + strings.TrimPrefix(path, best)
}

// extractFile writes the file at path in the image's flattened file
// system to dst, executable.
func extractFile(t *testing.T, img v1.Image, path, dst string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s is not in the image", path)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != path {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestRunInClusterBuild: `run in-cluster --build` builds, pushes, writes the
// manifests and applies them, in that order, each step shown; the
// manifests run the pushed digest. `--image` alone then deploys that
// reference as given, building nothing. (aggkit serve has no Deployments:
// each apply stops there.)
func TestRunInClusterBuild(t *testing.T) {
	first := pushedWardle(t)
	agg := framework.StartAggkit(t, "")
	dir := copyProject(t)
	runInCluster := func(args ...string) string {
		cmd := exec.Command(mustBuild(t).Aggkit, append([]string{"run", "in-cluster", "--kubeconfig", agg.Kubeconfig,
			"--etcd-servers", "http://etcd:2379", "--timeout", "1m"}, args...)...)
		cmd.Dir = dir
		output, err := cmd.CombinedOutput()
		t.Logf("aggkit run in-cluster %s:\n%s", strings.Join(args, " "), output)
		if err == nil || !strings.Contains(string(output), "apply deployment/wardle -n wardle: the server does not serve kind Deployment") {
			t.Fatalf("want the apply to stop at the Deployment: %v", err)
		}
		return string(output)
	}
	deployed := func() string {
		deployment := &appsv1.Deployment{}
		readYAML(t, filepath.Join(dir, "config", "deployment.yaml"), deployment)
		return deployment.Spec.Template.Spec.Containers[0].Image
	}

	repo := first.Repo + "-cluster"
	out := runInCluster("--build", "--image", repo+":v1")
	pinned := pushedLine.FindStringSubmatch(out)
	if pinned == nil {
		t.Fatal("no pushed digest in the output")
	}
	last := -1
	for _, step := range []string{"==> compiling wardle for linux/amd64", "==> pushing " + repo + ":v1", "==> pushed ",
		"==> writing manifests", "==> applying ", "applied namespace/wardle"} {
		i := strings.Index(out, step)
		if i <= last {
			t.Errorf("step %q at %d, after the one before at %d", step, i, last)
		}
		last = i
	}
	if got := deployed(); got != pinned[1] {
		t.Errorf("the Deployment runs %s, the push was %s", got, pinned[1])
	}
	digest, err := name.NewDigest(pinned[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(digest); err != nil {
		t.Errorf("the registry does not hold %s: %v", digest, err)
	}
	if firstDigest, _ := name.NewDigest(first.Pinned); digest.DigestStr() != firstDigest.DigestStr() {
		t.Errorf("run in-cluster --build pushed %s, build image pushed %s from the same sources", digest.DigestStr(), firstDigest.DigestStr())
	}

	out = runInCluster("--image", first.Pinned)
	if strings.Contains(out, "==> compiling") || strings.Contains(out, "==> pushing") {
		t.Errorf("--image without --build built or pushed")
	}
	if got := deployed(); got != first.Pinned {
		t.Errorf("the Deployment runs %s, --image was %s", got, first.Pinned)
	}
}
