package controlplane

import (
	"context"
	"crypto/ecdsa"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certutil "k8s.io/client-go/util/cert"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/pkg/aggregator/localapis"
	"github.com/aggkit/aggkit/pkg/rbac/bootstrap"
)

// TestReadyMeansReady: the moment /readyz first answers ok (startServer
// returns then), every built-in group/version is served and listed in
// discovery, each has its local APIService, and the bootstrap namespaces
// and RBAC policy are stored. Start-up work moved out of the readiness
// path would show here as something missing.
func TestReadyMeansReady(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()

	apiServices := aggregatorclient.NewForConfigOrDie(ts.admin).ApiregistrationV1().APIServices()
	for _, gv := range servedVersions() {
		want := localapis.LocalAPIService(gv)
		if _, err := apiServices.Get(ctx, want.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("APIService %s at readiness: %v", want.Name, err)
		}
		resources, err := ts.client.Discovery().ServerResourcesForGroupVersion(gv.String())
		if err != nil || len(resources.APIResources) == 0 {
			t.Errorf("discovery of %s at readiness: %v (%d resources)", gv, err, len(resources.APIResources))
		}
	}
	for _, ns := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease} {
		if _, err := ts.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s at readiness: %v", ns, err)
		}
	}
	if _, err := ts.client.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, "kubernetes", metav1.GetOptions{}); err != nil {
		t.Errorf("default/kubernetes at readiness: %v", err)
	}
	rbac := ts.client.RbacV1()
	for _, role := range bootstrap.ClusterRoles() {
		if _, err := rbac.ClusterRoles().Get(ctx, role.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("ClusterRole %s at readiness: %v", role.Name, err)
		}
	}
	for _, binding := range bootstrap.ClusterRoleBindings() {
		if _, err := rbac.ClusterRoleBindings().Get(ctx, binding.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("ClusterRoleBinding %s at readiness: %v", binding.Name, err)
		}
	}
	for _, role := range bootstrap.NamespaceRoles() {
		if _, err := rbac.Roles(role.Namespace).Get(ctx, role.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("Role %s/%s at readiness: %v", role.Namespace, role.Name, err)
		}
	}
}

// TestLoopbackCertificateIsP256: the loopback client trusts one self-signed
// P-256 certificate (k8s.io/apiserver's own generates RSA-2048 keys, a
// noticeable part of every start), and talks to the server with it.
func TestLoopbackCertificateIsP256(t *testing.T) {
	ts := startServer(t, nil)
	certs, err := certutil.ParseCertsPEM(ts.LoopbackConfig.TLSClientConfig.CAData)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 1 {
		t.Fatalf("loopback client trusts %d certificates, want its own one", len(certs))
	}
	if _, ok := certs[0].PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("loopback certificate key is %T, want P-256", certs[0].PublicKey)
	}
	if _, err := ts.Client.CoreV1().Namespaces().Get(context.Background(), metav1.NamespaceDefault, metav1.GetOptions{}); err != nil {
		t.Errorf("loopback client: %v", err)
	}
}
