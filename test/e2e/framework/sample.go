package framework

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/childprocess"
)

// SampleAPIServer is the unmodified k8s.io/sample-apiserver, run as an
// extension server of an aggkit.
type SampleAPIServer struct {
	URL     string
	CertDir string
	// certFile is the serving certificate given by flag, if any.
	certFile string
	proc     *childprocess.Process
	logPath  string
}

// StartSampleAPIServer runs sample-apiserver with kubeconfig as its main,
// authentication and authorization kubeconfig, storing in etcdURL under its
// own prefix, and waits until its /readyz answers ok.
func StartSampleAPIServer(t testing.TB, etcdURL, kubeconfig string, extraArgs ...string) *SampleAPIServer {
	t.Helper()
	return StartSampleAPIServerOnPort(t, FreePort(t), etcdURL, kubeconfig, extraArgs...)
}

// StartSampleAPIServerOnPort is StartSampleAPIServer on a given port, for
// a server registered (and restarted) at a known address.
func StartSampleAPIServerOnPort(t testing.TB, port int, etcdURL, kubeconfig string, extraArgs ...string) *SampleAPIServer {
	t.Helper()
	return StartSampleAPIServerAt(t, "127.0.0.1", port, etcdURL, kubeconfig, extraArgs...)
}

// StartSampleAPIServerAt is StartSampleAPIServer on a given loopback
// address and port: replicas of one server can share a port on 127.0.0.1,
// 127.0.0.2, ...
func StartSampleAPIServerAt(t testing.TB, host string, port int, etcdURL, kubeconfig string, extraArgs ...string) *SampleAPIServer {
	t.Helper()
	bin, err := BuildPackage(SampleAPIServerPackage)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &SampleAPIServer{CertDir: filepath.Join(dir, "certs"), logPath: filepath.Join(dir, "sample-apiserver.log")}
	s.URL = "https://" + host + ":" + strconv.Itoa(port)
	args := append([]string{
		"--etcd-servers", etcdURL, "--etcd-prefix", "/registry/wardle.example.com",
		"--bind-address", host, "--secure-port", strconv.Itoa(port), "--cert-dir", s.CertDir,
		"--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
	}, extraArgs...)
	for i, arg := range extraArgs {
		if arg == "--tls-cert-file" && i+1 < len(extraArgs) {
			s.certFile = extraArgs[i+1]
		}
	}
	if s.proc, err = childprocess.Start(bin, args, s.logPath, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := s.proc.Until(ctx, "sample-apiserver", 100*time.Millisecond, s.ready); err != nil {
		t.Fatalf("%v\n%s", err, s.Log())
	}
	return s
}

// CA is the pool that verifies the server's generated certificate.
func (s *SampleAPIServer) CA(t testing.TB) *x509.CertPool {
	t.Helper()
	data, err := os.ReadFile(s.ServingCertFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(data)
	return pool
}

// Log returns what the server printed.
func (s *SampleAPIServer) Log() string {
	data, _ := os.ReadFile(s.logPath)
	return string(data)
}

// Stop ends the server at once (SIGKILL), as a crash does.
func (s *SampleAPIServer) Stop() { s.proc.Kill() }

// ready is the server's /readyz answering 200 over TLS verified with the
// certificate it serves, which it may have to generate first.
func (s *SampleAPIServer) ready(ctx context.Context) error {
	data, err := os.ReadFile(s.ServingCertFile())
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(data)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	return childprocess.Readyz(client, s.URL)(ctx)
}

// ServingCertFile is the PEM certificate the server serves with, which is
// also what clients verify it against: the one given by flag, else the
// self-signed one it generated.
func (s *SampleAPIServer) ServingCertFile() string {
	if s.certFile != "" {
		return s.certFile
	}
	return filepath.Join(s.CertDir, "apiserver.crt")
}
