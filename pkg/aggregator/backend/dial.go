package backend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"
)

const (
	dialTimeout      = 5 * time.Second
	handshakeTimeout = 10 * time.Second
	tcpKeepAlive     = 30 * time.Second
)

// DialError means a connection to a backend could not be opened or its TLS
// handshake failed, so no byte of the request was sent and retrying it on
// another address is always safe.
type DialError struct {
	// Address is the host:port that was dialed.
	Address string
	// Err is the dial or handshake failure.
	Err error
}

// Error says which address failed and why.
func (e *DialError) Error() string {
	return fmt.Sprintf("connect to backend %s: %v", e.Address, e.Err)
}

// Unwrap returns the dial or handshake failure.
func (e *DialError) Unwrap() error { return e.Err }

// IsDialError reports whether err, or an error it wraps, is a *DialError.
func IsDialError(err error) bool {
	var dialErr *DialError
	return errors.As(err, &dialErr)
}

// tlsDialer opens TLS connections with one configuration; the http.Transport
// uses it as DialTLSContext so that handshake failures come back as DialError.
type tlsDialer struct {
	config *tls.Config
	net    net.Dialer
}

func newTLSDialer(config *tls.Config) *tlsDialer {
	return &tlsDialer{config: config, net: net.Dialer{Timeout: dialTimeout, KeepAlive: tcpKeepAlive}}
}

func (d *tlsDialer) DialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := d.net.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &DialError{Address: addr, Err: err}
	}
	conn := tls.Client(raw, d.config)
	hsCtx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	if err := conn.HandshakeContext(hsCtx); err != nil {
		_ = raw.Close()
		return nil, &DialError{Address: addr, Err: fmt.Errorf("TLS handshake: %w", err)}
	}
	return conn, nil
}
