package controlplane

import (
	"crypto/tls"
	stdx509 "crypto/x509"
	"net/http"
	"path/filepath"
	"testing"

	genericoptions "k8s.io/apiserver/pkg/server/options"

	"github.com/aggkit/aggkit/pkg/pki"
)

// TestFrontProxyAuthentication: the X-Remote-* headers name the user only
// on requests from the front proxy's certificate; any other client that
// sends them is still itself, and one without a certificate is nobody.
func TestFrontProxyAuthentication(t *testing.T) {
	dir := t.TempDir()
	clientCA, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "client-ca")
	if err != nil {
		t.Fatal(err)
	}
	proxyCA, err := pki.LoadOrCreateCA(filepath.Join(dir, "proxy-ca.crt"), filepath.Join(dir, "proxy-ca.key"), "proxy-ca")
	if err != nil {
		t.Fatal(err)
	}
	o := NewOptions()
	o.ClientCAFile = filepath.Join(dir, "ca.crt")
	o.RequestHeader = genericoptions.RequestHeaderAuthenticationOptions{
		ClientCAFile:        filepath.Join(dir, "proxy-ca.crt"),
		UsernameHeaders:     []string{"X-Remote-User"},
		GroupHeaders:        []string{"X-Remote-Group"},
		ExtraHeaderPrefixes: []string{"X-Remote-Extra-"},
		AllowedNames:        []string{"front-proxy"},
	}
	authn, err := o.buildAuthentication()
	if err != nil {
		t.Fatal(err)
	}
	cert := func(ca *pki.CA, name string) *stdx509.Certificate {
		c, _, err := ca.Issue(pki.CertSpec{CommonName: name, Client: true})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		peer     *stdx509.Certificate
		header   http.Header
		wantUser string // "" means not authenticated
	}{
		{"front proxy names the user", cert(proxyCA, "front-proxy"), http.Header{"X-Remote-User": {"alice"}, "X-Remote-Group": {"devs"}}, "alice"},
		{"front proxy without a username header is nobody", cert(proxyCA, "front-proxy"), nil, ""},
		{"proxy CA but a name not allowed", cert(proxyCA, "intruder"), http.Header{"X-Remote-User": {"alice"}}, ""},
		{"client certificate user", cert(clientCA, "bob"), nil, "bob"},
		{"client certificate user spoofing headers stays himself", cert(clientCA, "bob"), http.Header{"X-Remote-User": {"admin"}, "X-Remote-Group": {"system:masters"}}, "bob"},
		{"headers without any certificate", nil, http.Header{"X-Remote-User": {"admin"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &http.Request{Header: tc.header}
			if req.Header == nil {
				req.Header = http.Header{}
			}
			if tc.peer != nil {
				req.TLS = &tls.ConnectionState{PeerCertificates: []*stdx509.Certificate{tc.peer}}
			}
			resp, ok, _ := authn.request.AuthenticateRequest(req)
			switch {
			case tc.wantUser == "" && ok:
				t.Fatalf("authenticated as %q, want nobody", resp.User.GetName())
			case tc.wantUser != "" && !ok:
				t.Fatalf("not authenticated, want %q", tc.wantUser)
			case ok && resp.User.GetName() != tc.wantUser:
				t.Fatalf("user %q, want %q", resp.User.GetName(), tc.wantUser)
			}
			if tc.wantUser == "alice" {
				if groups := resp.User.GetGroups(); len(groups) == 0 || groups[0] != "devs" {
					t.Fatalf("groups %v, want devs first", groups)
				}
			}
		})
	}
}
