package e2e

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"k8s.io/client-go/rest"
)

// stalledClient is a client that sends GETs and never reads their
// responses: over HTTP/1.1 with a tiny TCP receive buffer, or over HTTP/2
// with a stream flow-control window of zero (so the server may send no
// DATA at all, though the connection itself is read and kept alive).
type stalledClient struct {
	conn net.Conn
	// resets counts RST_STREAM frames the server sent (HTTP/2 only).
	resets atomic.Int32
}

func stallTLS(t *testing.T, cfg *rest.Config, proto string) (*tls.Config, string) {
	t.Helper()
	tlsConfig, err := rest.TLSConfigFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig = tlsConfig.Clone()
	tlsConfig.NextProtos = []string{proto}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = u.Hostname()
	}
	return tlsConfig, u.Host
}

// stallHTTP1 sends GET path on a connection whose receive buffer is a few
// KiB, and never reads.
func stallHTTP1(t *testing.T, cfg *rest.Config, path string) *stalledClient {
	t.Helper()
	tlsConfig, host := stallTLS(t, cfg, "http/1.1")
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var sockErr error
		err := c.Control(func(fd uintptr) {
			sockErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return sockErr
	}}
	conn, err := tls.DialWithDialer(&dialer, "tcp", host, tlsConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n\r\n", path, host); err != nil {
		t.Fatal(err)
	}
	return &stalledClient{conn: conn}
}

// stallHTTP2 opens an HTTP/2 connection with an initial stream window of
// zero and sends GET path on each of streams streams. It answers SETTINGS
// and PING, so the connection stays healthy, but never grants a window.
func stallHTTP2(t *testing.T, cfg *rest.Config, path string, streams int) *stalledClient {
	t.Helper()
	tlsConfig, host := stallTLS(t, cfg, "h2")
	conn, err := tls.Dial("tcp", host, tlsConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &stalledClient{conn: conn}
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	framer := http2.NewFramer(conn, conn)
	if err := framer.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0}); err != nil {
		t.Fatal(err)
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for i := range streams {
		block.Reset()
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", host}, {":path", path}, {"accept", "application/json"}} {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		if err := framer.WriteHeaders(http2.HeadersFrameParam{StreamID: uint32(2*i + 1), BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
	}
	// The only writer from here on.
	go func() {
		for {
			frame, err := framer.ReadFrame()
			if err != nil {
				return
			}
			switch f := frame.(type) {
			case *http2.SettingsFrame:
				if !f.IsAck() {
					_ = framer.WriteSettingsAck()
				}
			case *http2.PingFrame:
				if !f.IsAck() {
					_ = framer.WritePing(true, f.Data)
				}
			case *http2.RSTStreamFrame:
				s.resets.Add(1)
			}
		}
	}()
	return s
}

func (s *stalledClient) Close() { s.conn.Close() }
