package deploy

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	certutil "k8s.io/client-go/util/cert"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

func testConfig(etcd ...string) Config {
	return Config{Name: testName, Namespace: testNS, Image: "registry.example.com/insurance:v1",
		Group: testGroup, Versions: testVersions, EtcdServers: etcd}
}

// manifests is what build config wrote, decoded strictly as Kubernetes
// objects, by kind.
type manifests struct {
	namespaces      []*corev1.Namespace
	serviceAccounts []*corev1.ServiceAccount
	clusterRoles    []*rbacv1.ClusterRole
	clusterBindings []*rbacv1.ClusterRoleBinding
	roleBindings    []*rbacv1.RoleBinding
	secrets         []*corev1.Secret
	claims          []*corev1.PersistentVolumeClaim
	deployments     []*appsv1.Deployment
	budgets         []*policyv1.PodDisruptionBudget
	services        []*corev1.Service
	apiServices     []*apiregistrationv1.APIService
}

// readManifests decodes every file kustomization.yaml lists, strictly: an
// unknown or duplicated field fails the test.
func readManifests(t *testing.T, dir string) manifests {
	t.Helper()
	var kustomization struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	data, err := os.ReadFile(filepath.Join(dir, KustomizationFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &kustomization); err != nil {
		t.Fatal(err)
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	var m manifests
	for _, file := range kustomization.Resources {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			obj, _, err := decoder.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("%s: %v\n%s", file, err, doc)
			}
			m.add(t, obj)
		}
	}
	return m
}

func (m *manifests) add(t *testing.T, obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.Namespace:
		m.namespaces = append(m.namespaces, o)
	case *corev1.ServiceAccount:
		m.serviceAccounts = append(m.serviceAccounts, o)
	case *rbacv1.ClusterRole:
		m.clusterRoles = append(m.clusterRoles, o)
	case *rbacv1.ClusterRoleBinding:
		m.clusterBindings = append(m.clusterBindings, o)
	case *rbacv1.RoleBinding:
		m.roleBindings = append(m.roleBindings, o)
	case *corev1.Secret:
		m.secrets = append(m.secrets, o)
	case *corev1.PersistentVolumeClaim:
		m.claims = append(m.claims, o)
	case *appsv1.Deployment:
		m.deployments = append(m.deployments, o)
	case *policyv1.PodDisruptionBudget:
		m.budgets = append(m.budgets, o)
	case *corev1.Service:
		m.services = append(m.services, o)
	case *apiregistrationv1.APIService:
		m.apiServices = append(m.apiServices, o)
	default:
		t.Errorf("unexpected object %T", obj)
	}
}

func one[T any](t *testing.T, what string, items []T) T {
	t.Helper()
	if len(items) != 1 {
		t.Fatalf("%d %s, want 1", len(items), what)
	}
	return items[0]
}

func TestBuildConfigLinesUp(t *testing.T) {
	for _, tc := range []struct {
		name         string
		config       Config
		wantReplicas int32
		wantStorage  string // the storage argument of the server
		wantClaim    bool
		wantStrategy appsv1.DeploymentStrategyType
	}{
		{name: "embedded etcd on a claim", config: testConfig(), wantReplicas: 1,
			wantStorage: "--data-dir=/var/lib/aggkit/data", wantClaim: true, wantStrategy: appsv1.RecreateDeploymentStrategyType},
		{name: "etcd cluster", config: testConfig("https://etcd-0:2379", "https://etcd-1:2379"), wantReplicas: 2,
			wantStorage: "--etcd-servers=https://etcd-0:2379,https://etcd-1:2379", wantStrategy: appsv1.RollingUpdateDeploymentStrategyType},
		{name: "three replicas on etcd", config: func() Config { c := testConfig("http://etcd:2379"); c.Replicas = 3; return c }(),
			wantReplicas: 3, wantStorage: "--etcd-servers=http://etcd:2379", wantStrategy: appsv1.RollingUpdateDeploymentStrategyType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := WriteConfig(dir, tc.config); err != nil {
				t.Fatal(err)
			}
			m := readManifests(t, dir)

			ns := one(t, "namespaces", m.namespaces)
			if ns.Name != testNS {
				t.Errorf("namespace %q", ns.Name)
			}
			sa := one(t, "service accounts", m.serviceAccounts)
			dep := one(t, "deployments", m.deployments)
			pod := dep.Spec.Template.Spec
			if sa.Namespace != testNS || pod.ServiceAccountName != sa.Name || dep.Namespace != testNS {
				t.Errorf("the pods run as %q, the ServiceAccount is %s/%s, the Deployment in %q",
					pod.ServiceAccountName, sa.Namespace, sa.Name, dep.Namespace)
			}
			checkBindings(t, m, sa)

			if *dep.Spec.Replicas != tc.wantReplicas || dep.Spec.Strategy.Type != tc.wantStrategy {
				t.Errorf("replicas %d strategy %s, want %d %s", *dep.Spec.Replicas, dep.Spec.Strategy.Type, tc.wantReplicas, tc.wantStrategy)
			}
			if !matches(dep.Spec.Selector.MatchLabels, dep.Spec.Template.Labels) {
				t.Errorf("Deployment selector %v does not match its pods %v", dep.Spec.Selector.MatchLabels, dep.Spec.Template.Labels)
			}
			container := one(t, "containers", pod.Containers)
			if container.Image != tc.config.Image {
				t.Errorf("image %q", container.Image)
			}
			port := one(t, "container ports", container.Ports)
			args := container.Args
			for _, want := range []string{"--secure-port=8443", tc.wantStorage} {
				if !slices.Contains(args, want) {
					t.Errorf("args %v lack %s", args, want)
				}
			}
			if port.ContainerPort != 8443 {
				t.Errorf("container port %d does not match --secure-port", port.ContainerPort)
			}
			checkSecurity(t, pod, container)
			for what, probe := range map[string]*corev1.Probe{"readiness": container.ReadinessProbe, "liveness": container.LivenessProbe} {
				if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Scheme != corev1.URISchemeHTTPS ||
					probe.HTTPGet.Port != intstr.FromString(port.Name) || !strings.HasPrefix(probe.HTTPGet.Path, "/") {
					t.Errorf("%s probe %+v", what, probe)
				}
			}
			if container.ReadinessProbe.HTTPGet.Path != "/readyz" || container.LivenessProbe.HTTPGet.Path != "/livez" {
				t.Errorf("probes on %s and %s", container.ReadinessProbe.HTTPGet.Path, container.LivenessProbe.HTTPGet.Path)
			}
			if container.Resources.Requests.Cpu().IsZero() || container.Resources.Requests.Memory().IsZero() || container.Resources.Limits.Memory().IsZero() {
				t.Errorf("resources %+v", container.Resources)
			}

			secret := one(t, "secrets", m.secrets)
			mountedSecret, secretMount := mountOf(t, pod, container, func(v corev1.Volume) bool { return v.Secret != nil })
			if secret.Type != corev1.SecretTypeTLS || secret.Namespace != testNS || mountedSecret.Secret.SecretName != secret.Name {
				t.Errorf("Secret %s/%s (%s), the pods mount %q", secret.Namespace, secret.Name, secret.Type, mountedSecret.Secret.SecretName)
			}
			for _, want := range []string{"--tls-cert-file=" + secretMount + "/tls.crt", "--tls-private-key-file=" + secretMount + "/tls.key"} {
				if !slices.Contains(args, want) {
					t.Errorf("args %v lack %s", args, want)
				}
			}
			if tc.wantClaim {
				claim := one(t, "claims", m.claims)
				volume, mount := mountOf(t, pod, container, func(v corev1.Volume) bool { return v.PersistentVolumeClaim != nil })
				if volume.PersistentVolumeClaim.ClaimName != claim.Name || claim.Namespace != testNS ||
					!strings.HasPrefix(tc.wantStorage, "--data-dir="+mount+"/") {
					t.Errorf("claim %s/%s, volume %+v at %s", claim.Namespace, claim.Name, volume, mount)
				}
			} else if len(m.claims) != 0 {
				t.Errorf("a claim with an etcd cluster: %v", m.claims)
			}

			pdb := one(t, "disruption budgets", m.budgets)
			if pdb.Namespace != testNS || !matches(pdb.Spec.Selector.MatchLabels, dep.Spec.Template.Labels) || pdb.Spec.MaxUnavailable.IntValue() != 1 {
				t.Errorf("PodDisruptionBudget %+v", pdb.Spec)
			}

			svc := one(t, "services", m.services)
			svcPort := one(t, "service ports", svc.Spec.Ports)
			if svc.Namespace != testNS || len(svc.Spec.Selector) == 0 || !matches(svc.Spec.Selector, dep.Spec.Template.Labels) {
				t.Errorf("Service %s/%s selects %v, pods are %v", svc.Namespace, svc.Name, svc.Spec.Selector, dep.Spec.Template.Labels)
			}
			if svcPort.Port != 443 || svcPort.TargetPort != intstr.FromString(port.Name) {
				t.Errorf("Service port %+v does not reach container port %+v", svcPort, port)
			}

			checkAPIServices(t, m.apiServices, svc, secret)
		})
	}
}

func checkBindings(t *testing.T, m manifests, sa *corev1.ServiceAccount) {
	t.Helper()
	want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: sa.Namespace}}
	roles := map[string]bool{}
	for _, b := range m.clusterBindings {
		roles[b.RoleRef.Kind+"/"+b.RoleRef.Name] = true
		if diff := cmp.Diff(want, b.Subjects); diff != "" {
			t.Errorf("ClusterRoleBinding %s subjects (-want +got):\n%s", b.Name, diff)
		}
	}
	role := one(t, "cluster roles", m.clusterRoles)
	if !roles["ClusterRole/system:auth-delegator"] || !roles["ClusterRole/"+role.Name] || len(m.clusterBindings) != 2 {
		t.Errorf("cluster bindings to %v, want system:auth-delegator and %s", roles, role.Name)
	}
	rb := one(t, "role bindings", m.roleBindings)
	if rb.Namespace != "kube-system" || rb.RoleRef != (rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "extension-apiserver-authentication-reader"}) {
		t.Errorf("RoleBinding %s/%s to %+v", rb.Namespace, rb.Name, rb.RoleRef)
	}
	if diff := cmp.Diff(want, rb.Subjects); diff != "" {
		t.Errorf("RoleBinding subjects (-want +got):\n%s", diff)
	}
	granted := map[string]bool{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if slices.Contains(r.Verbs, "list") && slices.Contains(r.Verbs, "watch") {
					granted[g+"/"+res] = true
				}
			}
		}
	}
	for _, need := range []string{"/namespaces", "admissionregistration.k8s.io/validatingwebhookconfigurations",
		"admissionregistration.k8s.io/mutatingwebhookconfigurations", "admissionregistration.k8s.io/validatingadmissionpolicies",
		"admissionregistration.k8s.io/validatingadmissionpolicybindings", "flowcontrol.apiserver.k8s.io/flowschemas",
		"flowcontrol.apiserver.k8s.io/prioritylevelconfigurations"} {
		if !granted[need] {
			t.Errorf("ClusterRole %s does not let the server list and watch %s", role.Name, need)
		}
	}
}

func checkSecurity(t *testing.T, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	if pod.SecurityContext == nil || !*pod.SecurityContext.RunAsNonRoot || *pod.SecurityContext.RunAsUser == 0 {
		t.Errorf("pod security context %+v", pod.SecurityContext)
	}
	sc := c.SecurityContext
	if sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context %+v", sc)
	}
}

// checkAPIServices: one per version, each pointing at the Service and
// trusting a CA that verifies the serving certificate for every DNS form
// of the Service.
func checkAPIServices(t *testing.T, got []*apiregistrationv1.APIService, svc *corev1.Service, secret *corev1.Secret) {
	t.Helper()
	if len(got) != len(testVersions) {
		t.Fatalf("%d APIServices for versions %v", len(got), testVersions)
	}
	certs, err := certutil.ParseCertsPEM(secret.Data["tls.crt"])
	if err != nil {
		t.Fatal(err)
	}
	for i, as := range got {
		s := as.Spec
		if as.Name != APIServiceName(testGroup, testVersions[i]) || s.Group != testGroup || s.Version != testVersions[i] {
			t.Errorf("APIService %s serves %s/%s", as.Name, s.Group, s.Version)
		}
		if s.InsecureSkipTLSVerify || s.Service == nil || s.Service.Name != svc.Name || s.Service.Namespace != svc.Namespace ||
			*s.Service.Port != svc.Spec.Ports[0].Port {
			t.Errorf("APIService %s: %+v, Service %s/%s", as.Name, s, svc.Namespace, svc.Name)
		}
		if s.GroupPriorityMinimum <= 0 || s.VersionPriority <= 0 {
			t.Errorf("APIService %s priorities %d/%d", as.Name, s.GroupPriorityMinimum, s.VersionPriority)
		}
		if !bytes.Equal(s.CABundle, secret.Data["ca.crt"]) {
			t.Errorf("APIService %s caBundle is not the Secret's ca.crt", as.Name)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(s.CABundle) {
			t.Fatalf("APIService %s caBundle holds no certificate", as.Name)
		}
		for _, dns := range []string{svc.Name, svc.Name + "." + svc.Namespace, svc.Name + "." + svc.Namespace + ".svc",
			svc.Name + "." + svc.Namespace + ".svc.cluster.local"} {
			if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, DNSName: dns,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
				t.Errorf("APIService %s caBundle does not verify the serving certificate for %s: %v", as.Name, dns, err)
			}
		}
	}
	if got[0].Spec.VersionPriority <= got[1].Spec.VersionPriority {
		t.Errorf("the first version %s does not rank above %s", got[0].Name, got[1].Name)
	}
	ca, err := certutil.ParseCertsPEM(got[0].Spec.CABundle)
	if err != nil {
		t.Fatal(err)
	}
	if !ca[0].NotAfter.After(certs[0].NotAfter) {
		t.Errorf("the CA expires %s, before the certificate it signed (%s)", ca[0].NotAfter, certs[0].NotAfter)
	}
}

func mountOf(t *testing.T, pod corev1.PodSpec, c corev1.Container, want func(corev1.Volume) bool) (corev1.Volume, string) {
	t.Helper()
	for _, v := range pod.Volumes {
		if !want(v) {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				return v, m.MountPath
			}
		}
		t.Fatalf("volume %s is not mounted", v.Name)
	}
	t.Fatal("no such volume")
	return corev1.Volume{}, ""
}

// matches reports whether selector selects labels.
func matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestBuildConfigAgainKeepsTheCA: a second build reuses the CA under
// pki/, so the caBundle (and, while valid, the certificate) stays the
// same, and the CA key never appears in a manifest.
func TestBuildConfigAgainKeepsTheCA(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteConfig(dir, testConfig()); err != nil {
		t.Fatal(err)
	}
	first := readManifests(t, dir)
	if _, err := WriteConfig(dir, testConfig("http://etcd:2379")); err != nil {
		t.Fatal(err)
	}
	second := readManifests(t, dir)
	if !bytes.Equal(first.apiServices[0].Spec.CABundle, second.apiServices[0].Spec.CABundle) {
		t.Error("a second build changed the caBundle")
	}
	if !bytes.Equal(first.secrets[0].Data["tls.crt"], second.secrets[0].Data["tls.crt"]) {
		t.Error("a second build reissued a certificate that was still good")
	}
	if _, err := os.Stat(filepath.Join(dir, "storage.yaml")); !os.IsNotExist(err) {
		t.Errorf("storage.yaml of the embedded build is still there with etcd: %v", err)
	}
	caKey, err := os.ReadFile(filepath.Join(dir, PKIDir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, caKey) || strings.Contains(string(data), encode(caKey)) {
			t.Errorf("%s holds the CA key", e.Name())
		}
	}
}

func encode(b []byte) string {
	s, _ := yaml.Marshal(b)
	return strings.TrimSpace(string(s))
}

// TestBuildConfigKustomizeBuilds runs kustomize on the output as is.
func TestBuildConfigKustomizeBuilds(t *testing.T) {
	dir := t.TempDir()
	objs, err := WriteConfig(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if resources.Size() != len(objs) {
		t.Errorf("kustomize builds %d objects, build config made %d", resources.Size(), len(objs))
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"replicas without etcd", func(c *Config) { c.Replicas = 2 }, "2 replicas need --etcd-servers"},
		{"no image", func(c *Config) { c.Image = "" }, "image: required"},
		{"bad name", func(c *Config) { c.Name = "Insurance_API" }, `name "Insurance_API"`},
		{"short group", func(c *Config) { c.Group = "insurance" }, "a full API group"},
		{"no versions", func(c *Config) { c.Versions = nil }, "at least one"},
		{"bad storage size", func(c *Config) { c.StorageSize = "lots" }, `storage size "lots"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.change(&c)
			_, err := WriteConfig(t.TempDir(), c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
