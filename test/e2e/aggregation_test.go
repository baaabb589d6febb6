package e2e

import (
	"io"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

const wardleAPIService = framework.WardleAPIService

// aggregatedSample starts aggkit and the unmodified sample-apiserver behind it.
func aggregatedSample(t *testing.T) (*framework.Aggkit, *framework.Kubectl, *framework.SampleAPIServer, func() *framework.SampleAPIServer) {
	t.Helper()
	s := framework.StartAggregatedSample(t)
	return s.Aggkit, s.Kubectl, s.Sample, s.Restart
}

// TestAggregatedSampleAPIServer drives the real sample-apiserver through
// aggkit with the real kubectl.
func TestAggregatedSampleAPIServer(t *testing.T) {
	a, k, _, _ := aggregatedSample(t)

	resources := k.MustRun("api-resources", "--api-group=wardle.example.com")
	if !strings.Contains(resources, "flunders") || !strings.Contains(resources, "fischers") {
		t.Fatalf("api-resources:\n%s", resources)
	}
	// The backend's OpenAPI is merged into aggkit's.
	framework.Eventually(t, 30*time.Second, func() bool {
		out, err := k.Run("", "explain", "flunders.spec")
		return err == nil && strings.Contains(out, "reference")
	}, func() string { out, err := k.Run("", "explain", "flunders.spec"); return out + errString(err) })
	out, stop := k.Start("get", "flunders", "-n", "default", "-w", "--output-watch-events")
	defer stop()
	time.Sleep(time.Second)

	k.Apply(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"first","namespace":"default"},"spec":{"reference":"x"}}`)
	if got := k.MustRun("get", "flunders", "-n", "default", "-o", "name"); strings.TrimSpace(got) != "flunder.wardle.example.com/first" {
		t.Fatalf("list flunders: %q", got)
	}
	k.MustRun("patch", "flunder", "first", "-n", "default", "--type=merge", "-p", `{"metadata":{"labels":{"patched":"yes"}}}`)
	if got := k.MustRun("get", "flunders", "-n", "default", "-l", "patched=yes", "-o", "jsonpath={.items[0].metadata.name}"); got != "first" {
		t.Fatalf("patched flunder: %q", got)
	}
	k.MustRun("delete", "flunder", "first", "-n", "default")
	framework.Eventually(t, 30*time.Second, func() bool {
		s := out.String()
		return strings.Contains(s, "ADDED") && strings.Contains(s, "MODIFIED") && strings.Contains(s, "DELETED")
	}, func() string { return "watch through the aggregator:\n" + out.String() })

	// RBAC at aggkit decides for proxied requests too.
	alice := framework.NewKubectl(t, a.UserKubeconfig("alice"))
	if _, err := alice.Run("", "get", "flunders", "-n", "default"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("alice without rights: %v", err)
	}
	k.Apply(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"flunder-reader","namespace":"default"},
		"rules":[{"apiGroups":["wardle.example.com"],"resources":["flunders"],"verbs":["get","list"]}]}`)
	k.MustRun("create", "rolebinding", "alice-flunders", "-n", "default", "--role=flunder-reader", "--user=alice")
	framework.Eventually(t, 30*time.Second, func() bool {
		_, err := alice.Run("", "get", "flunders", "-n", "default")
		return err == nil
	}, func() string { _, err := alice.Run("", "get", "flunders", "-n", "default"); return errString(err) })
}

// TestAggregatedBackendDownAndBack: a killed backend turns the APIService
// unavailable and requests answer 503; restarted, it serves again.
func TestAggregatedBackendDownAndBack(t *testing.T) {
	a, k, sample, start := aggregatedSample(t)
	sample.Stop()
	k.MustRun("wait", "--for=condition=Available=false", "apiservice/"+wardleAPIService, "--timeout=30s")
	http := framework.HTTPClient(t, a.RESTConfig())
	status := framework.DoStatus(t, http, "GET", a.RESTConfig().Host+"/apis/wardle.example.com/v1alpha1/namespaces/default/flunders", "", "")
	if status.Code != 503 || status.Reason != "ServiceUnavailable" || !strings.Contains(status.Message, wardleAPIService) {
		t.Fatalf("backend down: %d %s %q", status.Code, status.Reason, status.Message)
	}
	// kube-aggregator's gauge, which alerts are written against.
	gauge := `aggregator_unavailable_apiservice{name="` + wardleAPIService + `"} `
	if m := metricsText(t, http, a.RESTConfig().Host); !strings.Contains(m, gauge+"1") {
		t.Fatalf("/metrics lacks %q1:\n%s", gauge, grepLines(m, "aggregator_unavailable"))
	}
	start()
	k.MustRun("wait", "--for=condition=Available", "apiservice/"+wardleAPIService, "--timeout=60s")
	k.MustRun("get", "flunders", "-n", "default")
	if m := metricsText(t, http, a.RESTConfig().Host); !strings.Contains(m, gauge+"0") {
		t.Fatalf("/metrics lacks %q0:\n%s", gauge, grepLines(m, "aggregator_unavailable"))
	}
}

func metricsText(t *testing.T, client *nethttp.Client, host string) string {
	t.Helper()
	resp, err := client.Get(host + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: HTTP %d %v", resp.StatusCode, err)
	}
	return string(body)
}

func grepLines(text, substr string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestAggregatedWrongCABundle: a caBundle that does not verify the backend
// makes the APIService unavailable with FailedDiscoveryCheck.
func TestAggregatedWrongCABundle(t *testing.T) {
	a, k, _, _ := aggregatedSample(t)
	other := framework.NewServingCert(t, "wardle", "api")
	k.MustRun("patch", "apiservice", wardleAPIService, "--type=merge", "-p",
		`{"spec":{"caBundle":"`+framework.Base64(other.CA.CertPEM())+`"}}`)
	k.MustRun("wait", "--for=condition=Available=false", "apiservice/"+wardleAPIService, "--timeout=30s")
	reason := k.MustRun("get", "apiservice", wardleAPIService, "-o", "jsonpath={.status.conditions[?(@.type=='Available')].reason}")
	if reason != "FailedDiscoveryCheck" {
		t.Fatalf("reason = %q", reason)
	}
	http := framework.HTTPClient(t, a.RESTConfig())
	status := framework.DoStatus(t, http, "GET", a.RESTConfig().Host+"/apis/wardle.example.com/v1alpha1/fischers", "", "")
	if status.Code != 503 {
		t.Fatalf("wrong caBundle: %d %s", status.Code, status.Message)
	}
}
