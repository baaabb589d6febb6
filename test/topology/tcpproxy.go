package topology

import (
	"io"
	"net"
	"sync"
	"testing"
)

// ProxyMode is what a TCPProxy does with traffic.
type ProxyMode int

const (
	// Forward passes bytes both ways.
	Forward ProxyMode = iota
	// Stall holds every connection open and passes nothing, as a network
	// partition that drops packets does: peers see silence, not a reset.
	Stall
)

// TCPProxy sits between a client and one of several upstreams (tried in
// turn), so a test can cut the path without touching either end.
type TCPProxy struct {
	ln        net.Listener
	upstreams []string

	mu    sync.Mutex
	mode  ProxyMode
	next  int
	conns map[net.Conn]struct{}
	// resume is closed when the mode goes back to forward.
	resume chan struct{}
}

func StartTCPProxy(t testing.TB, upstreams ...string) *TCPProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &TCPProxy{ln: ln, upstreams: upstreams, conns: map[net.Conn]struct{}{}, resume: make(chan struct{})}
	close(p.resume)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *TCPProxy) Addr() string { return p.ln.Addr().String() }

func (p *TCPProxy) serve() {
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(conn)
	}
}

func (p *TCPProxy) handle(client net.Conn) {
	p.track(client, true)
	defer p.track(client, false)
	defer client.Close()
	p.mu.Lock()
	resume := p.resume
	p.mu.Unlock()
	<-resume // a stalled proxy accepts and then says nothing
	var upstream net.Conn
	for range p.upstreams {
		p.mu.Lock()
		addr := p.upstreams[p.next%len(p.upstreams)]
		p.next++
		p.mu.Unlock()
		var err error
		if upstream, err = net.Dial("tcp", addr); err == nil {
			break
		}
	}
	if upstream == nil {
		return
	}
	p.track(upstream, true)
	defer p.track(upstream, false)
	defer upstream.Close()
	done := make(chan struct{}, 2)
	go func() { p.copy(upstream, client); done <- struct{}{} }()
	go func() { p.copy(client, upstream); done <- struct{}{} }()
	<-done
}

// copy moves bytes from src to dst, holding each chunk while stalled.
func (p *TCPProxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			resume := p.resume
			p.mu.Unlock()
			<-resume
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			if tcp, ok := dst.(*net.TCPConn); ok {
				_ = tcp.CloseWrite()
			}
			return
		}
	}
}

func (p *TCPProxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

// SetMode switches between forwarding and stalling. Connections survive a
// stall, as TCP connections survive a short partition; what the peers'
// keepalives and timeouts make of the silence is theirs to decide.
func (p *TCPProxy) SetMode(mode ProxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if mode == p.mode {
		return
	}
	p.mode = mode
	if mode == Stall {
		p.resume = make(chan struct{})
		return
	}
	close(p.resume)
}

func (p *TCPProxy) close() {
	_ = p.ln.Close()
	p.SetMode(Forward)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}
