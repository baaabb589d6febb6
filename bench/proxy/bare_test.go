package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"testing"
)

// bareProxy is the least any aggregator written in Go does per request,
// and so the floor aggkit is read against: TLS and HTTP/2 in, the standard
// library's reverse proxy, TLS and HTTP/2 out with the front-proxy client
// certificate and a fixed identity. No authentication, authorization,
// audit, limits or routing. It runs in the benchmark's process, which is
// as much CPU as a process of its own on this machine.
func bareProxy(b *testing.B, aggkitDataDir, sampleURL string, sampleCA *x509.CertPool) target {
	backend, err := url.Parse(sampleURL)
	if err != nil {
		b.Fatal(err)
	}
	pki := filepath.Join(aggkitDataDir, "pki")
	proxyCert, err := tls.LoadX509KeyPair(filepath.Join(pki, "front-proxy-client.crt"), filepath.Join(pki, "front-proxy-client.key"))
	if err != nil {
		b.Fatal(err)
	}
	out := &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 128,
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{proxyCert}, RootCAs: sampleCA}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(backend)
			pr.Out.Header.Set("X-Remote-User", "admin")
			pr.Out.Header.Set("X-Remote-Group", "system:masters")
		},
		Transport: out,
	}
	s := httptest.NewUnstartedServer(proxy)
	s.EnableHTTP2 = true
	s.StartTLS()
	b.Cleanup(s.Close)
	client := s.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 128
	return target{client: client, url: s.URL + flunder}
}
