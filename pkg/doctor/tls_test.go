package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// testCA signs certificates for the table below.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// serving issues a serving certificate for names, valid from notBefore to notAfter.
func (ca *testCA) serving(t *testing.T, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: notBefore, NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestCheckTLS dials real TLS servers as the tls link does, one per way a
// serving certificate can be wrong.
func TestCheckTLS(t *testing.T) {
	ca, otherCA := newTestCA(t, "serving-ca"), newTestCA(t, "other-ca")
	now := time.Now()
	good := []string{"api.wardle.svc", "api.wardle.svc.cluster.local"}
	for _, tc := range []struct {
		name     string
		cert     tls.Certificate // served; none: nothing listens
		caBundle []byte
		insecure bool
		want     Status
		inMsg    []string
		inFix    string
	}{
		{name: "verified", cert: ca.serving(t, good, now.Add(-time.Hour), now.Add(time.Hour)), caBundle: ca.pem(),
			want: StatusOK, inMsg: []string{"verified for api.wardle.svc", `issuer "CN=serving-ca"`}},
		{name: "unknown authority", cert: otherCA.serving(t, good, now.Add(-time.Hour), now.Add(time.Hour)), caBundle: ca.pem(),
			want: StatusFail, inMsg: []string{`issued by "CN=other-ca"`, `spec.caBundle (holding "CN=serving-ca" (key ID `, "does not verify"}, inFix: "spec.caBundle"},
		{name: "a different CA of the same name", cert: newTestCA(t, "serving-ca").serving(t, good, now.Add(-time.Hour), now.Add(time.Hour)), caBundle: ca.pem(),
			want: StatusFail, inMsg: []string{`issued by "CN=serving-ca"`, "a different CA of the same name"}, inFix: "spec.caBundle"},
		{name: "expired", cert: ca.serving(t, good, now.Add(-2*time.Hour), now.Add(-time.Hour)), caBundle: ca.pem(),
			want: StatusFail, inMsg: []string{"expired at"}, inFix: "new serving certificate valid for api.wardle.svc"},
		{name: "not yet valid", cert: ca.serving(t, good, now.Add(time.Hour), now.Add(2*time.Hour)), caBundle: ca.pem(),
			want: StatusFail, inMsg: []string{"not valid before"}},
		{name: "other names", cert: ca.serving(t, []string{"api.other.svc", "localhost"}, now.Add(-time.Hour), now.Add(time.Hour)), caBundle: ca.pem(),
			want: StatusFail, inMsg: []string{"certificate for [api.other.svc, localhost], not for api.wardle.svc"}},
		{name: "caBundle not PEM", cert: ca.serving(t, good, now.Add(-time.Hour), now.Add(time.Hour)), caBundle: []byte("nonsense"),
			want: StatusFail, inMsg: []string{"spec.caBundle holds no PEM certificate"}},
		{name: "insecureSkipTLSVerify", cert: otherCA.serving(t, good, now.Add(-time.Hour), now.Add(time.Hour)), insecure: true,
			want: StatusOK, inMsg: []string{"not verified since spec.insecureSkipTLSVerify is true"}},
		{name: "nothing listening", caBundle: ca.pem(), want: StatusFail, inMsg: []string{"nothing listens at", "connection refused"}, inFix: "--secure-port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := refusedAddr(t)
			if tc.cert.Certificate != nil {
				srv := httptest.NewUnstartedServer(http.NotFoundHandler())
				srv.TLS = &tls.Config{Certificates: []tls.Certificate{tc.cert}}
				// doctor hangs up after the handshake, which the server logs.
				srv.Config.ErrorLog = log.New(io.Discard, "", 0)
				srv.StartTLS()
				defer srv.Close()
				addr = srv.Listener.Addr().String()
			}
			target := &target{
				apiService: &apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1alpha1.wardle.example.com"},
					Spec: apiregistrationv1.APIServiceSpec{Service: &apiregistrationv1.ServiceReference{Namespace: "wardle", Name: "api"},
						CABundle: tc.caBundle, InsecureSkipTLSVerify: tc.insecure}},
				service:     &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "wardle", Name: "api"}},
				servicePort: corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)},
				addrs:       []string{addr},
			}
			d := &doctor{opts: options{dialTimeout: 5 * time.Second}}
			got := d.checkTLS(context.Background(), target)
			if got.Status != tc.want {
				t.Fatalf("status %s, want %s: %s (fix: %s)", got.Status, tc.want, got.Message, got.Fix)
			}
			for _, want := range tc.inMsg {
				if !strings.Contains(got.Message, want) {
					t.Errorf("message lacks %q: %s", want, got.Message)
				}
			}
			if !strings.Contains(got.Fix, tc.inFix) || (tc.want == StatusFail) == (got.Fix == "") {
				t.Errorf("fix %q, want it to contain %q", got.Fix, tc.inFix)
			}
		})
	}
}

// refusedAddr is a loopback address where nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
