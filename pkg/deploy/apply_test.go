package deploy

import (
	"bytes"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// TestApplyBuildConfigToAggkit applies what build config makes to a real
// aggkit: everything aggkit serves applies and reads back; the kinds it
// lacks (apps, policy, claims) fail with an error that names the object
// and the missing API.
func TestApplyBuildConfigToAggkit(t *testing.T) {
	cfg := startAggkit(t)
	objs, err := WriteConfig(t.TempDir(), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	var served []runtime.Object
	missing := map[string]runtime.Object{}
	for _, obj := range objs {
		kind, err := kindOf(obj)
		if err != nil {
			t.Fatal(err)
		}
		switch kind.Kind {
		case "Deployment", "PodDisruptionBudget", "PersistentVolumeClaim":
			missing[kind.Kind] = obj
		default:
			served = append(served, obj)
		}
	}
	var progress bytes.Buffer
	if err := Apply(t.Context(), cfg, served, &progress); err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if n := strings.Count(progress.String(), "applied "); n != len(served) {
		t.Errorf("%d progress lines for %d objects:\n%s", n, len(served), progress.String())
	}
	kube := kubernetes.NewForConfigOrDie(cfg)
	secret, err := kube.CoreV1().Secrets(testNS).Get(t.Context(), testName+"-serving-cert", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if secret.Type != "kubernetes.io/tls" || len(secret.Data["tls.key"]) == 0 {
		t.Errorf("Secret read back as %s with keys %v", secret.Type, len(secret.Data))
	}
	svc, err := kube.CoreV1().Services(testNS).Get(t.Context(), testName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Selector["app.kubernetes.io/name"] != testName {
		t.Errorf("Service selector read back as %v", svc.Spec.Selector)
	}

	for kind, want := range map[string][]string{
		"Deployment":            {"apply deployment/insurance-api -n insurance", "does not serve kind Deployment of API version apps/v1"},
		"PodDisruptionBudget":   {"apply poddisruptionbudget/insurance-api -n insurance", "kind PodDisruptionBudget of API version policy/v1"},
		"PersistentVolumeClaim": {"apply persistentvolumeclaim/insurance-api-data -n insurance", "kind PersistentVolumeClaim of API version v1"},
	} {
		err := Apply(t.Context(), cfg, []runtime.Object{missing[kind]}, nil)
		if err == nil {
			t.Errorf("aggkit accepted a %s", kind)
			continue
		}
		t.Logf("%s: %v", kind, err)
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
}
