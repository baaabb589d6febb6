// Command bareproxy is the floor bench/proxy reads aggkit against: the
// least any aggregator written in Go does per request, in a process of its
// own as aggkit is. TLS and HTTP/2 in, the standard library's reverse
// proxy, TLS and HTTP/2 out with the front-proxy client certificate and a
// fixed identity. No authentication, authorization, audit, limits or
// routing. It prints the URL it listens on.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	backendURL := flag.String("backend", "", "URL of the backend, https://host:port")
	backendCA := flag.String("backend-ca", "", "PEM file of the CA the backend's serving certificate is verified with")
	proxyCert := flag.String("proxy-cert", "", "client certificate presented to the backend")
	proxyKey := flag.String("proxy-key", "", "key of --proxy-cert")
	servingCert := flag.String("tls-cert-file", "", "this proxy's serving certificate, for 127.0.0.1")
	servingKey := flag.String("tls-private-key-file", "", "key of --tls-cert-file")
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
	serving, err := tls.LoadX509KeyPair(*servingCert, *servingKey)
	if err != nil {
		log.Fatalf("--tls-cert-file: %v", err)
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
