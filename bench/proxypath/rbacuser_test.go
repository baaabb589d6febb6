package proxypath

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/pki"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// rbacUser returns a client certificate of a user whom only an RBAC
// ClusterRoleBinding allows to get the benchmark's object.
func rbacUser(b *testing.B, admin *rest.Config, pkiDir string) tls.Certificate {
	ca, err := pki.LoadOrCreateCA(filepath.Join(pkiDir, "ca.crt"), filepath.Join(pkiDir, "ca.key"), "")
	if err != nil {
		b.Fatal(err)
	}
	cert, key, err := ca.Issue(pki.CertSpec{CommonName: "bench-user", Client: true})
	if err != nil {
		b.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(admin)
	ctx := b.Context()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "bench-things-reader"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{group}, Resources: []string{"things"}}}}
	if _, err := client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bench-user-reads"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "bench-user"}}}
	if _, err := client.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// waitAllowed waits until the server's RBAC informers have the binding.
func waitAllowed(b *testing.B, p path) {
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := p.client.Get(p.url)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("GET %s as bench-user: %s", p.url, resp.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
