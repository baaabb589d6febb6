package framework

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// SampleAPIServer is the unmodified k8s.io/sample-apiserver, run as an
// extension server of an aggkit.
type SampleAPIServer struct {
	URL     string
	CertDir string
	// certFile is the serving certificate given by flag, if any.
	certFile string
	cmd      *exec.Cmd
	exited   chan struct{}
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
	s.cmd = exec.Command(bin, args...)
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); logFile.Close(); close(s.exited) }()
	t.Cleanup(s.Stop)
	if err := s.waitReady(90 * time.Second); err != nil {
		t.Fatalf("sample-apiserver not ready: %v\n%s", err, s.Log())
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

// Stop ends the server.
func (s *SampleAPIServer) Stop() {
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *SampleAPIServer) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("process exited")
		case <-ctx.Done():
			return fmt.Errorf("timed out: %v", last)
		case <-time.After(100 * time.Millisecond):
		}
		data, err := os.ReadFile(s.ServingCertFile())
		if err != nil {
			last = err
			continue
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(data)
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := client.Get(s.URL + "/readyz")
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		last = fmt.Errorf("readyz: HTTP %d", resp.StatusCode)
	}
}

// servingCertFile is the certificate the server presents: the one given by
// flag, else the self-signed one it generated.
// ServingCertFile is the PEM certificate the server serves with, which is
// also what clients verify it against.
func (s *SampleAPIServer) ServingCertFile() string {
	if s.certFile != "" {
		return s.certFile
	}
	return filepath.Join(s.CertDir, "apiserver.crt")
}
