package validation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validNamespace() *corev1.Namespace {
	return &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	}
}

func TestValidateNamespace(t *testing.T) {
	runCases(t, validNamespace, ValidateNamespace, []caseOf[*corev1.Namespace]{
		{name: "valid"},
		{name: "domain finalizer", mutate: func(ns *corev1.Namespace) {
			ns.Spec.Finalizers = append(ns.Spec.Finalizers, "example.com/cleanup")
		}},
		{name: "name is not a DNS label", mutate: func(ns *corev1.Namespace) { ns.Name = "a.b" },
			want: []wantErr{inv("metadata.name")}},
		{name: "namespace set on a cluster-scoped object", mutate: func(ns *corev1.Namespace) { ns.Namespace = "x" },
			want: []wantErr{forbidden("metadata.namespace")}},
		{name: "unknown unqualified finalizer", mutate: func(ns *corev1.Namespace) {
			ns.Spec.Finalizers = []corev1.FinalizerName{"kubernetes", "mine"}
		}, want: []wantErr{inv("spec.finalizers[1]")}},
		{name: "malformed finalizer", mutate: func(ns *corev1.Namespace) {
			ns.Spec.Finalizers = []corev1.FinalizerName{"a/b/c"}
		}, want: []wantErr{inv("spec.finalizers[0]")}},
		{name: "unknown phase", mutate: func(ns *corev1.Namespace) { ns.Status.Phase = "Gone" },
			want: []wantErr{unsupported("status.phase")}},
	})
}

func TestValidateNamespaceUpdate(t *testing.T) {
	runUpdateCases(t, validNamespace, ValidateNamespaceUpdate, []caseOf[*corev1.Namespace]{
		{name: "labels may change", mutate: func(ns *corev1.Namespace) { ns.Labels = map[string]string{"a": "b"} }},
		{name: "name is immutable", mutate: func(ns *corev1.Namespace) { ns.Name = "team-b" },
			want: []wantErr{inv("metadata.name")}},
		{name: "finalizers are validated", mutate: func(ns *corev1.Namespace) {
			ns.Spec.Finalizers = []corev1.FinalizerName{"bogus"}
		}, want: []wantErr{inv("spec.finalizers[0]")}},
	})
}

func validConfigMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cfg.v1", Namespace: "default"},
		Data:       map[string]string{"app.yaml": "x: 1"},
		BinaryData: map[string][]byte{"blob": {0, 1}},
	}
}

func TestValidateConfigMap(t *testing.T) {
	runCases(t, validConfigMap, ValidateConfigMap, []caseOf[*corev1.ConfigMap]{
		{name: "valid"},
		{name: "namespace required", mutate: func(c *corev1.ConfigMap) { c.Namespace = "" },
			want: []wantErr{req("metadata.namespace")}},
		{name: "name is not a DNS subdomain", mutate: func(c *corev1.ConfigMap) { c.Name = "Bad_Name" },
			want: []wantErr{inv("metadata.name")}},
		{name: "bad data key", mutate: func(c *corev1.ConfigMap) { c.Data["a b"] = "" },
			want: []wantErr{inv("data[a b]")}},
		{name: "bad binaryData key", mutate: func(c *corev1.ConfigMap) { c.BinaryData[".."] = nil },
			want: []wantErr{inv("binaryData[..]")}},
		{name: "key in data and binaryData", mutate: func(c *corev1.ConfigMap) { c.BinaryData["app.yaml"] = nil },
			want: []wantErr{inv("data[app.yaml]")}},
		{name: "too large in total", mutate: func(c *corev1.ConfigMap) {
			c.Data["big"] = strings.Repeat("x", MaxDataSize)
		}, want: []wantErr{{"FieldValueTooLong", "[]"}}}, // as kube-apiserver: "[]: Too long"
	})
}

func TestValidateConfigMapUpdate(t *testing.T) {
	immutable := func() *corev1.ConfigMap {
		c := validConfigMap()
		c.Immutable = ptr(true)
		return c
	}
	runUpdateCases(t, validConfigMap, ValidateConfigMapUpdate, []caseOf[*corev1.ConfigMap]{
		{name: "mutable data changes", mutate: func(c *corev1.ConfigMap) { c.Data["app.yaml"] = "x: 2" }},
		{name: "becoming immutable", mutate: func(c *corev1.ConfigMap) { c.Immutable = ptr(true) }},
	})
	runUpdateCases(t, immutable, ValidateConfigMapUpdate, []caseOf[*corev1.ConfigMap]{
		{name: "immutable unchanged"},
		{name: "immutable data change", mutate: func(c *corev1.ConfigMap) { c.Data["app.yaml"] = "x: 2" },
			want: []wantErr{forbidden("data")}},
		{name: "immutable binaryData change", mutate: func(c *corev1.ConfigMap) { c.BinaryData = nil },
			want: []wantErr{forbidden("binaryData")}},
		{name: "immutable cannot be unset", mutate: func(c *corev1.ConfigMap) { c.Immutable = ptr(false) },
			want: []wantErr{forbidden("immutable")}},
	})
}

func validSecret() *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "default"},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"password": []byte("s3cret")},
	}
}

func TestValidateSecret(t *testing.T) {
	runCases(t, validSecret, ValidateSecret, []caseOf[*corev1.Secret]{
		{name: "valid"},
		{name: "empty type is accepted", mutate: func(s *corev1.Secret) { s.Type = "" }},
		{name: "bad data key", mutate: func(s *corev1.Secret) { s.Data["a/b"] = nil },
			want: []wantErr{inv("data[a/b]")}},
		{name: "bad stringData key", mutate: func(s *corev1.Secret) { s.StringData = map[string]string{"a b": "x"} },
			want: []wantErr{inv("stringData[a b]")}},
		{name: "too large", mutate: func(s *corev1.Secret) { s.Data["big"] = make([]byte, MaxDataSize) },
			want: []wantErr{{"FieldValueTooLong", "data"}}},
		{name: "tls needs cert and key", mutate: func(s *corev1.Secret) { s.Type = corev1.SecretTypeTLS },
			want: []wantErr{req("data[tls.crt]"), req("data[tls.key]")}},
		{name: "tls complete via stringData", mutate: func(s *corev1.Secret) {
			s.Type = corev1.SecretTypeTLS
			s.Data["tls.crt"] = []byte("c")
			s.StringData = map[string]string{"tls.key": "k"}
		}},
		{name: "dockerconfigjson missing", mutate: func(s *corev1.Secret) { s.Type = corev1.SecretTypeDockerConfigJson },
			want: []wantErr{req("data[.dockerconfigjson]")}},
		{name: "dockerconfigjson not JSON", mutate: func(s *corev1.Secret) {
			s.Type = corev1.SecretTypeDockerConfigJson
			s.Data[".dockerconfigjson"] = []byte("{nope")
		}, want: []wantErr{inv("data[.dockerconfigjson]")}},
		{name: "dockercfg valid", mutate: func(s *corev1.Secret) {
			s.Type = corev1.SecretTypeDockercfg
			s.Data[".dockercfg"] = []byte(`{"r":{}}`)
		}},
		{name: "basic-auth needs username or password", mutate: func(s *corev1.Secret) {
			s.Type = corev1.SecretTypeBasicAuth
			s.Data = map[string][]byte{"x": nil}
		}, want: []wantErr{req("data[username]"), req("data[password]")}},
		{name: "basic-auth with password only", mutate: func(s *corev1.Secret) { s.Type = corev1.SecretTypeBasicAuth }},
		{name: "ssh-auth needs private key", mutate: func(s *corev1.Secret) { s.Type = corev1.SecretTypeSSHAuth },
			want: []wantErr{req("data[ssh-privatekey]")}},
		{name: "service account token needs the annotation", mutate: func(s *corev1.Secret) {
			s.Type = corev1.SecretTypeServiceAccountToken
		}, want: []wantErr{req("metadata.annotations[kubernetes.io/service-account.name]")}},
	})
}

func TestValidateSecretUpdate(t *testing.T) {
	runUpdateCases(t, validSecret, ValidateSecretUpdate, []caseOf[*corev1.Secret]{
		{name: "data may change", mutate: func(s *corev1.Secret) { s.Data["password"] = []byte("new") }},
		{name: "type is immutable", mutate: func(s *corev1.Secret) {
			s.Type = corev1.SecretTypeBasicAuth
		}, want: []wantErr{inv("type")}},
	})
	immutable := func() *corev1.Secret {
		s := validSecret()
		s.Immutable = ptr(true)
		return s
	}
	runUpdateCases(t, immutable, ValidateSecretUpdate, []caseOf[*corev1.Secret]{
		{name: "unchanged"},
		{name: "same value through stringData", mutate: func(s *corev1.Secret) {
			s.StringData = map[string]string{"password": "s3cret"}
		}},
		{name: "data change", mutate: func(s *corev1.Secret) { s.Data["password"] = []byte("new") },
			want: []wantErr{forbidden("data")}},
		{name: "data change through stringData", mutate: func(s *corev1.Secret) {
			s.StringData = map[string]string{"extra": "x"}
		}, want: []wantErr{forbidden("data")}},
		{name: "immutable unset", mutate: func(s *corev1.Secret) { s.Immutable = nil },
			want: []wantErr{forbidden("immutable")}},
	})
}

func validServiceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder", Namespace: "ci"}}
}

func TestValidateServiceAccount(t *testing.T) {
	runCases(t, validServiceAccount, ValidateServiceAccount, []caseOf[*corev1.ServiceAccount]{
		{name: "valid"},
		{name: "name required", mutate: func(s *corev1.ServiceAccount) { s.Name = "" },
			want: []wantErr{req("metadata.name")}},
		{name: "namespace required", mutate: func(s *corev1.ServiceAccount) { s.Namespace = "" },
			want: []wantErr{req("metadata.namespace")}},
	})
	runUpdateCases(t, validServiceAccount, ValidateServiceAccountUpdate, []caseOf[*corev1.ServiceAccount]{
		{name: "unchanged"},
		{name: "namespace immutable", mutate: func(s *corev1.ServiceAccount) { s.Namespace = "other" },
			want: []wantErr{inv("metadata.namespace")}},
	})
}
