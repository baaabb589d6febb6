package backend

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

// connectionsPerAddress is how many independent pools (so, with HTTP/2, how
// many connections) each backend address gets. More than one keeps a cluster
// IP from pinning all traffic to one pod, and bounds head-of-line blocking.
const connectionsPerAddress = 4

// addressPools is an http.RoundTripper that sends each request through a pool
// of its own for req.URL.Host, picked round robin among the address's shards.
type addressPools struct {
	newTransport func() *http.Transport

	mu    sync.Mutex
	pools map[string]*shards
}

type shards struct {
	transports [connectionsPerAddress]*http.Transport
	next       atomic.Uint32
}

func newAddressPools(newTransport func() *http.Transport) *addressPools {
	return &addressPools{newTransport: newTransport, pools: map[string]*shards{}}
}

// RoundTrip sends req to req.URL.Host.
func (p *addressPools) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Host == "" {
		return nil, fmt.Errorf("backend request without a host")
	}
	s := p.shardsFor(req.URL.Host)
	i := s.next.Add(1) % connectionsPerAddress
	return s.transports[i].RoundTrip(req)
}

func (p *addressPools) shardsFor(addr string) *shards {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.pools[addr]
	if !ok {
		s = &shards{}
		for i := range s.transports {
			s.transports[i] = p.newTransport()
		}
		p.pools[addr] = s
	}
	return s
}

// evict forgets the pools of addr, or of every address when addr is empty:
// later requests open new connections, requests in flight finish on the old
// ones, and the old idle connections are closed now.
func (p *addressPools) evict(addr string) {
	p.mu.Lock()
	var old []*shards
	for a, s := range p.pools {
		if addr == "" || a == addr {
			old = append(old, s)
			delete(p.pools, a)
		}
	}
	p.mu.Unlock()
	for _, s := range old {
		for _, t := range s.transports {
			t.CloseIdleConnections()
		}
	}
}

// CloseIdleConnections lets http.Client.CloseIdleConnections and
// utilnet.CloseIdleConnectionsFor reach every pool.
func (p *addressPools) CloseIdleConnections() { p.evict("") }
