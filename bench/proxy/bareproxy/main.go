// Command bareproxy is the floor bench/proxy reads aggkit against: the
// least any aggregator written in Go does per request, in a process of its
// own as aggkit is. TLS and HTTP/2 in, the standard library's reverse
// proxy, TLS and HTTP/2 out with the front-proxy client certificate and a
// fixed identity. No authentication, authorization, audit, limits or
// routing. It serves a certificate for 127.0.0.1 that it makes up at start,
// writes that certificate to --serving-cert-out, and prints its URL.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

func main() {
	backendURL := flag.String("backend", "", "URL of the backend, https://host:port")
	backendCA := flag.String("backend-ca", "", "PEM file of the CA the backend's serving certificate is verified with")
	proxyCert := flag.String("proxy-cert", "", "client certificate presented to the backend")
	proxyKey := flag.String("proxy-key", "", "key of --proxy-cert")
	servingOut := flag.String("serving-cert-out", "", "where to write this proxy's own serving certificate (PEM), for clients to trust")
	flag.Parse()

	backend, err := url.Parse(*backendURL)
	if err != nil {
		log.Fatalf("--backend: %v", err)
	}
	roots := x509.NewCertPool()
	caPEM, err := os.ReadFile(*backendCA)
	if err != nil || !roots.AppendCertsFromPEM(caPEM) {
		log.Fatalf("--backend-ca: no certificate in %s: %v", *backendCA, err)
	}
	client, err := tls.LoadX509KeyPair(*proxyCert, *proxyKey)
	if err != nil {
		log.Fatalf("--proxy-cert: %v", err)
	}
	serving, certPEM, err := selfSigned()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*servingOut, certPEM, 0o600); err != nil {
		log.Fatal(err)
	}

	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(backend)
			pr.Out.Header.Set("X-Remote-User", "admin")
			pr.Out.Header.Set("X-Remote-Group", "system:masters")
		},
		Transport: &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 128,
			TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{client}, RootCAs: roots}},
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("https://%s\n", listener.Addr())
	server := &http.Server{Handler: proxy, TLSConfig: &tls.Config{Certificates: []tls.Certificate{serving}, NextProtos: []string{"h2", "http/1.1"}}}
	log.Fatal(server.ServeTLS(listener, "", ""))
}

// selfSigned makes a serving certificate for 127.0.0.1 that is its own CA.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bareproxy"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
