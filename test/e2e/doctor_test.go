package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/doctor"
	"github.com/aggkit/aggkit/pkg/etcd"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// doctorSetup is one aggkit with the real sample-apiserver registered and
// healthy (v1alpha1.wardle.example.com), plus an APIService per broken
// link, each broken on purpose in one way.
type doctorSetup struct {
	*framework.AggregatedSample
	// strict is a second sample-apiserver that trusts another front-proxy
	// CA than aggkit's, registered as v1beta1.wardle.example.com.
	strict *framework.SampleAPIServer
}

// The broken APIServices. Each points at the wardle namespace.
const (
	apiNoService  = "v1.noservice.doctor.example.com"  // Service missing
	apiBadPort    = "v1.badport.doctor.example.com"    // port 8443, the Service has 443
	apiNoEndpoint = "v1.noendpoint.doctor.example.com" // Service without endpoints
	apiWrongCA    = "v1.wrongca.doctor.example.com"    // caBundle of another CA
	apiWrongName  = "v1.wrongname.doctor.example.com"  // Service "other": the certificate is for api.wardle.svc
	apiDown       = "v1.down.doctor.example.com"       // endpoint where nothing listens
	apiNotServed  = "v1.notserved.doctor.example.com"  // the backend does not serve this group
	apiStrict     = "v1beta1.wardle.example.com"       // backend refuses aggkit's proxy client certificate
)

func startDoctorSetup(t *testing.T) *doctorSetup {
	t.Helper()
	s := &doctorSetup{AggregatedSample: framework.StartAggregatedSample(t)}
	k := s.Kubectl
	goodCA := framework.Base64(s.servingCA(t))
	otherCA := framework.NewServingCert(t, "wardle", "api").CA.CertPEM()
	strictServing := framework.NewServingCert(t, "wardle", "strict")
	strictPort, downPort := framework.FreePort(t), framework.FreePort(t)

	apiService := func(name, service string, port int, caBundle string) string {
		version, group, _ := strings.Cut(name, ".")
		return fmt.Sprintf(`---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: %s}
spec: {group: %s, version: %s, service: {namespace: wardle, name: %s, port: %d}, caBundle: %s, groupPriorityMinimum: 1000, versionPriority: 15}
`, name, group, version, service, port, caBundle)
	}
	service := func(name string, endpointPort int) string {
		m := fmt.Sprintf(`---
apiVersion: v1
kind: Service
metadata: {name: %s, namespace: wardle}
spec: {ports: [{name: https, port: 443, targetPort: %d}]}
`, name, max(endpointPort, 443))
		if endpointPort > 0 {
			m += fmt.Sprintf(`---
apiVersion: v1
kind: Endpoints
metadata: {name: %s, namespace: wardle}
subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{name: https, port: %d}]}]
`, name, endpointPort)
		}
		return m
	}
	k.Apply(apiService(apiNoService, "nosuch", 443, goodCA) +
		apiService(apiBadPort, "api", 8443, goodCA) +
		service("lonely", 0) + apiService(apiNoEndpoint, "lonely", 443, goodCA) +
		apiService(apiWrongCA, "api", 443, framework.Base64(otherCA)) +
		service("other", s.Port) + apiService(apiWrongName, "other", 443, goodCA) +
		service("down", downPort) + apiService(apiDown, "down", 443, goodCA) +
		apiService(apiNotServed, "api", 443, goodCA) +
		service("strict", strictPort) + apiService(apiStrict, "strict", 443, framework.Base64(strictServing.CA.CertPEM())))

	// The strict backend: the same server, told to trust another CA for
	// front-proxy client certificates, so aggkit's is refused.
	store, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Stop)
	otherCAFile := filepath.Join(t.TempDir(), "other-front-proxy-ca.crt")
	if err := os.WriteFile(otherCAFile, otherCA, 0o600); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(k.MustRun("create", "token", "apiserver", "-n", "wardle", "--duration=1h"))
	s.strict = framework.StartSampleAPIServerOnPort(t, strictPort, store.ClientURL, s.Aggkit.WriteTokenKubeconfig(token),
		"--tls-cert-file", strictServing.CertFile, "--tls-private-key-file", strictServing.KeyFile,
		"--requestheader-client-ca-file", otherCAFile)

	// doctor reads the conditions these two are explained from. The strict
	// one must show the refusal, not the "connection refused" of a probe
	// made before its server listened.
	k.MustRun("wait", "--for=condition=Available=false", "apiservice/"+apiNotServed, "apiservice/"+apiStrict, "--timeout=60s")
	strictMessage := func() string {
		return k.MustRun("get", "apiservice", apiStrict, "-o", `jsonpath={.status.conditions[?(@.type=="Available")].message}`)
	}
	framework.Eventually(t, 60*time.Second, func() bool {
		m := strictMessage()
		return strings.Contains(m, "403") || strings.Contains(m, "401")
	}, func() string { return "strict backend's refusal never reached its condition: " + strictMessage() })
	return s
}

// servingCA is the caBundle the healthy registration carries.
func (s *doctorSetup) servingCA(t *testing.T) []byte {
	t.Helper()
	b64 := s.Kubectl.MustRun("get", "apiservice", framework.WardleAPIService, "-o", "jsonpath={.spec.caBundle}")
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// runDoctor runs doctor in-process against the aggkit, as its admin.
func (s *doctorSetup) runDoctor(t *testing.T, apiService string, opts ...doctor.Option) (doctor.Report, string) {
	t.Helper()
	var out bytes.Buffer
	report, err := doctor.Run(context.Background(), s.Aggkit.RESTConfig(), apiService, &out, append([]doctor.Option{doctor.WithDialTimeout(2 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("doctor %s: %v\n%s", apiService, err, out.String())
	}
	return report, out.String()
}

// expectBroken asserts that link is the first and only broken link of the
// one APIService in report, that every link before it is ok and every
// dependent link after it skipped, and that the message and fix say what
// they must.
func expectBroken(t *testing.T, report doctor.Report, out string, link doctor.Link, inMessage, inFix []string) {
	t.Helper()
	if len(report.APIServices) != 1 {
		t.Fatalf("%d APIServices in the report:\n%s", len(report.APIServices), out)
	}
	a := report.APIServices[0]
	broken := a.Broken()
	if broken == nil || broken.Link != link {
		t.Fatalf("broken link: want %s, got %+v\n%s", link, broken, out)
	}
	before := true
	for _, c := range a.Checks {
		switch {
		case c.Link == link:
			before = false
		case before && c.Status != doctor.StatusOK:
			t.Errorf("link %s before the broken %s is %s\n%s", c.Link, link, c.Status, out)
		case !before && c.Link != doctor.LinkIdentity && c.Status != doctor.StatusSkip:
			t.Errorf("link %s after the broken %s is %s, want skip\n%s", c.Link, link, c.Status, out)
		}
	}
	for _, want := range inMessage {
		if !strings.Contains(broken.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, out)
		}
	}
	for _, want := range inFix {
		if !strings.Contains(broken.Fix, want) {
			t.Errorf("fix lacks %q:\n%s", want, out)
		}
	}
	if report.OK() || !strings.Contains(out, "FAIL  "+string(link)) || !strings.Contains(out, "fix: ") {
		t.Errorf("output does not show the failure:\n%s", out)
	}
}

// TestDoctor runs doctor against the real sample-apiserver behind aggkit,
// healthy and then broken on purpose, one link at a time.
func TestDoctor(t *testing.T) {
	s := startDoctorSetup(t)

	t.Run("healthy: every link ok", func(t *testing.T) {
		report, out := s.runDoctor(t, framework.WardleAPIService)
		if !report.OK() || len(report.APIServices) != 1 {
			t.Fatalf("healthy setup not ok:\n%s", out)
		}
		checks := report.APIServices[0].Checks
		links := doctor.Links()
		if len(checks) != len(links) {
			t.Fatalf("%d checks, want %d:\n%s", len(checks), len(links), out)
		}
		for i, c := range checks {
			if c.Link != links[i] || c.Status != doctor.StatusOK {
				t.Errorf("check %d: %s %s, want %s ok\n%s", i, c.Link, c.Status, links[i], out)
			}
		}
		for _, want := range []string{"Available=True (Passed): all checks passed", "verified for api.wardle.svc",
			"lists fischers, flunders", "ServiceAccount wardle/apiserver", "allowed names [aggregator]"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("apiservice: missing, similar names listed", func(t *testing.T) {
		report, out := s.runDoctor(t, "v1alpha2.wardle.example.com")
		expectBroken(t, report, out, doctor.LinkAPIService, []string{"does not exist"},
			[]string{"did you mean v1alpha1.wardle.example.com, v1beta1.wardle.example.com?", "registered groups:", "wardle.example.com"})
	})

	t.Run("service: missing", func(t *testing.T) {
		report, out := s.runDoctor(t, apiNoService)
		expectBroken(t, report, out, doctor.LinkService, []string{`service/nosuch in "wardle" does not exist`, "api, down, lonely, other, strict"},
			[]string{"kubectl patch apiservice " + apiNoService})
	})

	t.Run("service: port mismatch", func(t *testing.T) {
		report, out := s.runDoctor(t, apiBadPort)
		expectBroken(t, report, out, doctor.LinkService, []string{"has no port 8443", "443 (https, targetPort"},
			[]string{`kubectl patch apiservice ` + apiBadPort + ` --type=merge -p '{"spec":{"service":{"port":443}}}'`})
	})

	t.Run("endpoints: none", func(t *testing.T) {
		report, out := s.runDoctor(t, apiNoEndpoint)
		expectBroken(t, report, out, doctor.LinkEndpoints, []string{`service/lonely in "wardle" has no EndpointSlices and no Endpoints`},
			[]string{"kind: Endpoints", "name: lonely, namespace: wardle", `ports: [{name: "https", port: 443}]`})
	})

	t.Run("tls: caBundle of an unknown authority", func(t *testing.T) {
		report, out := s.runDoctor(t, apiWrongCA)
		expectBroken(t, report, out, doctor.LinkTLS, []string{`issued by "CN=api.wardle-serving-ca"`, "does not verify", "unknown authority", "a different CA of the same name"},
			[]string{"spec.caBundle", "kubectl patch apiservice " + apiWrongCA})
	})

	t.Run("tls: certificate for other names", func(t *testing.T) {
		report, out := s.runDoctor(t, apiWrongName)
		expectBroken(t, report, out, doctor.LinkTLS, []string{"not for other.wardle.svc", "api.wardle.svc"},
			[]string{"new serving certificate valid for other.wardle.svc"})
	})

	t.Run("tls: backend down, nothing listening", func(t *testing.T) {
		report, out := s.runDoctor(t, apiDown)
		expectBroken(t, report, out, doctor.LinkTLS, []string{"nothing listens at 127.0.0.1:", "connection refused"},
			[]string{"start the server", "--secure-port"})
	})

	t.Run("discovery: the backend does not serve the group", func(t *testing.T) {
		report, out := s.runDoctor(t, apiNotServed)
		expectBroken(t, report, out, doctor.LinkDiscovery,
			[]string{"GET /apis/notserved.doctor.example.com/v1 through the aggregator answered 503", "404"},
			[]string{"spec.group", "spec.version"})
	})

	t.Run("aggregator: backend refuses the proxy client certificate", func(t *testing.T) {
		report, out := s.runDoctor(t, apiStrict)
		expectBroken(t, report, out, doctor.LinkAggregator,
			[]string{"does not accept the aggregator's proxy client certificate", `front-proxy CA "CN=aggkit-front-proxy-ca"`},
			[]string{"--requestheader-client-ca-file", "kube-system/extension-apiserver-authentication", "aggregator"})
	})

	// The identity links break the healthy registration's RBAC while its
	// server runs (it has read its ConfigMap already), then apply the
	// manifest doctor prints and expect ok again.
	for _, tc := range []struct {
		name, deleteKind, deleteName, wantMessage, wantFix string
		opts                                               []doctor.Option
	}{
		{name: "identity: no auth-reader RoleBinding", deleteKind: "rolebinding", deleteName: "wardle-auth-reader",
			wantMessage: "may not get configmap kube-system/extension-apiserver-authentication: the RoleBinding in kube-system to Role extension-apiserver-authentication-reader is missing",
			wantFix:     "kind: RoleBinding"},
		{name: "identity: no auth-delegator binding (service account given)", deleteKind: "clusterrolebinding", deleteName: "wardle:system:auth-delegator",
			wantMessage: "may not create tokenreviews, create subjectaccessreviews: the ClusterRoleBinding to ClusterRole system:auth-delegator is missing",
			wantFix:     "kind: ClusterRoleBinding", opts: []doctor.Option{doctor.WithServiceAccount("wardle", "apiserver")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"delete", tc.deleteKind, tc.deleteName}
			if tc.deleteKind == "rolebinding" {
				args = append(args, "-n", "kube-system")
			}
			s.Kubectl.MustRun(args...)
			var report doctor.Report
			var out string
			// RBAC reaches the authorizer through an informer: wait for it.
			framework.Eventually(t, 30*time.Second, func() bool {
				report, out = s.runDoctor(t, framework.WardleAPIService, tc.opts...)
				return !report.OK()
			}, func() string { return out })
			expectBroken(t, report, out, doctor.LinkIdentity, []string{"ServiceAccount wardle/apiserver", tc.wantMessage}, []string{tc.wantFix})
			// identity does not depend on the network links: where the
			// server is down (as one that cannot read its ConfigMap is),
			// tls is the broken link and identity says why it may be.
			down, downOut := s.runDoctor(t, apiDown, tc.opts...)
			if c := down.APIServices[0].Check(doctor.LinkIdentity); c == nil || c.Status != doctor.StatusFail || !strings.Contains(c.Message, tc.wantMessage) {
				t.Errorf("identity of %s, whose server is down, is not the same failure:\n%s", apiDown, downOut)
			}

			manifest, found := strings.CutPrefix(report.APIServices[0].Broken().Fix, "apply\n")
			if !found {
				t.Fatalf("fix is not a manifest to apply: %q", report.APIServices[0].Broken().Fix)
			}
			s.Kubectl.Apply(manifest)
			framework.Eventually(t, 30*time.Second, func() bool {
				report, out = s.runDoctor(t, framework.WardleAPIService, tc.opts...)
				return report.OK()
			}, func() string { return "after applying the printed fix:\n" + out })
		})
	}

	t.Run("aggkit doctor command: exit code and output", func(t *testing.T) {
		healthy, code := s.aggkitDoctor(t, framework.WardleAPIService)
		if code != 0 || !strings.Contains(healthy, "1 APIService checked, all ok") || strings.Contains(healthy, "FAIL") {
			t.Errorf("healthy: exit %d\n%s", code, healthy)
		}
		broken, code := s.aggkitDoctor(t, apiBadPort)
		if code == 0 || !strings.Contains(broken, "FAIL  service") || !strings.Contains(broken, `"port":443`) {
			t.Errorf("broken port: exit %d\n%s", code, broken)
		}
		all, code := s.aggkitDoctor(t)
		t.Logf("aggkit doctor, every APIService:\n%s", all)
		if code == 0 || !strings.Contains(all, "9 APIServices checked, 8 broken") {
			t.Errorf("every APIService: exit %d\n%s", code, all)
		}
		for _, name := range []string{framework.WardleAPIService, apiNoService, apiStrict, apiDown} {
			if !strings.Contains(all, "APIService "+name+"\n") {
				t.Errorf("every APIService: %s not checked\n%s", name, all)
			}
		}
	})
}

// aggkitDoctor runs the built `aggkit doctor` with KUBECONFIG set, and
// returns its output and exit code.
func (s *doctorSetup) aggkitDoctor(t *testing.T, args ...string) (string, int) {
	t.Helper()
	bins, err := framework.Build()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bins.Aggkit, append([]string{"doctor", "--dial-timeout=2s"}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.Aggkit.Kubeconfig)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("aggkit doctor: %v\n%s", err, out)
	return "", 0
}
