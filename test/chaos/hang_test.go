package chaos

import (
	"net"
	"sync"
)

// hangingListener accepts connections on addr and never answers: a backend
// whose process is alive but stuck.
type hangingListener struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func listenHanging(addr string) (*hangingListener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	h := &hangingListener{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, conn)
			h.mu.Unlock()
		}
	}()
	return h, nil
}

func (h *hangingListener) close() {
	_ = h.ln.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		_ = c.Close()
	}
}
