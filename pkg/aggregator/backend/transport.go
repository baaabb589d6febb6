package backend

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"
)

const (
	idleConnTimeout     = 90 * time.Second
	maxIdleConnsPerHost = 32
	// h2ReadIdleTimeout and h2PingTimeout match client-go's defaults: a
	// connection silent for 30s is pinged and dropped if the ping is not
	// answered in 15s, so a dead backend does not keep streams hanging.
	h2ReadIdleTimeout = 30 * time.Second
	h2PingTimeout     = 15 * time.Second
	// streamReceiveWindow is how much of a response the aggregator takes
	// from a backend ahead of its client. net/http's default, 4 MiB, let a
	// client that never reads make the aggregator buffer 4 MiB per stream;
	// with 256 KiB the backend waits instead, and one stream still moves
	// 256 KiB per round trip (over 200 MiB/s at 1 ms).
	streamReceiveWindow = 256 << 10
)

// Transport reaches the backends of one APIService.
type Transport struct {
	// RoundTripper sends requests to https://<address>/...: HTTP/2 when the
	// backend offers it, pooled per address. Dial and TLS handshake failures
	// are returned as *DialError.
	RoundTripper http.RoundTripper
	// UpgradeRoundTripper sends protocol upgrade requests (SPDY, WebSocket)
	// over HTTP/1.1 with the same TLS settings and no pooling; a 101
	// response's Body is the connection, as net/http documents.
	UpgradeRoundTripper http.RoundTripper
	// TLSConfig is the configuration for dialing a backend yourself; its
	// NextProtos is HTTP/1.1 only, as upgrades need. Do not modify it.
	TLSConfig *tls.Config

	pools   *addressPools
	upgrade *http.Transport
}

// CloseIdleConnections evicts the pooled connections to address (host:port),
// or to every address when address is empty. Requests in flight finish; new
// requests open new connections.
func (t *Transport) CloseIdleConnections(address string) {
	t.pools.evict(address)
	if address == "" {
		t.upgrade.CloseIdleConnections()
	}
}

// tlsSettings is what an APIService says about verifying its backend.
type tlsSettings struct {
	// service and namespace name the Service; serverName is derived from them.
	service, namespace string
	serverName         string
	caBundle           []byte
	insecure           bool
}

func (s tlsSettings) config(cert *clientCert) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:           tls.VersionTLS12,
		ServerName:           s.serverName,
		GetClientCertificate: cert.GetClientCertificate,
	}
	switch {
	case s.insecure:
		cfg.InsecureSkipVerify = true
	case len(s.caBundle) == 0:
		// Kubernetes falls back to the system roots here; we never do, so a
		// forgotten caBundle cannot make a public CA trusted for the cluster.
		return nil, fmt.Errorf("spec.caBundle is empty and spec.insecureSkipTLSVerify is false: nothing to verify the backend %s against", s.serverName)
	default:
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(s.caBundle) {
			return nil, fmt.Errorf("spec.caBundle holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func newTransport(settings tlsSettings, cert *clientCert) (*Transport, error) {
	base, err := settings.config(cert)
	if err != nil {
		return nil, err
	}
	h2Config := base.Clone()
	h2Config.NextProtos = []string{"h2", "http/1.1"}
	h1Config := base.Clone()
	h1Config.NextProtos = []string{"http/1.1"}

	pooled := func() *http.Transport {
		return &http.Transport{
			DialTLSContext:        newTLSDialer(h2Config).DialTLSContext,
			TLSClientConfig:       h2Config.Clone(), // net/http edits its NextProtos on first use
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   maxIdleConnsPerHost,
			IdleConnTimeout:       idleConnTimeout,
			ExpectContinueTimeout: time.Second,
			HTTP2: &http.HTTP2Config{SendPingTimeout: h2ReadIdleTimeout, PingTimeout: h2PingTimeout,
				MaxReceiveBufferPerStream: streamReceiveWindow},
		}
	}
	upgrade := &http.Transport{
		DialTLSContext:    newTLSDialer(h1Config).DialTLSContext,
		TLSClientConfig:   h1Config.Clone(),
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only
		DisableKeepAlives: true,                                                   // upgraded connections are never reused
	}
	pools := newAddressPools(pooled)
	return &Transport{
		RoundTripper:        pools,
		UpgradeRoundTripper: upgrade,
		TLSConfig:           h1Config,
		pools:               pools,
		upgrade:             upgrade,
	}, nil
}
