package proxy

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// bareProxy builds and starts ./bareproxy in front of the sample: the
// least any aggregator written in Go does per request, in a process of its
// own as aggkit is, and so the floor aggkit is read against. It returns
// the proxy as a target and its pid.
func bareProxy(b *testing.B, aggkitDataDir string, sample *framework.SampleAPIServer) (target, int) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "bareproxy")
	build := exec.Command("go", "build", "-o", bin, "./bareproxy")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build ./bareproxy: %v\n%s", err, out)
	}
	pki := filepath.Join(aggkitDataDir, "pki")
	serving := framework.NewServingCert(b, "bench", "bareproxy") // valid for 127.0.0.1
	cmd := exec.Command(bin, "--backend", sample.URL, "--backend-ca", sample.ServingCertFile(),
		"--proxy-cert", filepath.Join(pki, "front-proxy-client.crt"), "--proxy-key", filepath.Join(pki, "front-proxy-client.key"),
		"--tls-cert-file", serving.CertFile, "--tls-private-key-file", serving.KeyFile)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("bareproxy did not say where it listens: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serving.CA.CertPEM())
	t := newClient(tls.Certificate{}, roots, strings.TrimSpace(line))
	t.client.Transport.(*http.Transport).TLSClientConfig.Certificates = nil
	return t, cmd.Process.Pid
}
