package availability

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"sync"
	"time"
)

// Timing of the watch connections.
const (
	watchDialTimeout = 5 * time.Second
	// watchMinLifetime stops a backend that closes fresh connections at once
	// from turning the watch into a probe loop: a watch that ended sooner
	// than this is left to the next Period.
	watchMinLifetime = 2 * time.Second
)

// connectionWatcher holds one idle TLS connection to every address of every
// Available APIService and queues the APIService the moment one of them
// closes. A killed or stopped backend closes its sockets, so this notices it
// in milliseconds instead of at the next Period; a backend that merely
// closes idle connections (Go servers do after ReadHeaderTimeout, ~32 s for
// kube-style servers) costs one extra, passing probe.
type connectionWatcher struct {
	enqueue func(name string)

	mu      sync.Mutex
	watches map[string]*addressWatches // by APIService name
}

// addressWatches are the watch connections of one APIService.
type addressWatches struct {
	tlsConfig *tls.Config
	cancel    context.CancelFunc
	ctx       context.Context
	started   map[string]time.Time // by address, while the connection is up
	ended     map[string]time.Time // by address, start time of a watch that ended
}

func newConnectionWatcher(enqueue func(string)) *connectionWatcher {
	return &connectionWatcher{enqueue: enqueue, watches: map[string]*addressWatches{}}
}

// watch makes sure each address of name has a watch connection, replacing
// the set when the addresses or the TLS config changed.
func (w *connectionWatcher) watch(name string, addrs []string, tlsConfig *tls.Config) {
	if tlsConfig == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.watches[name]
	if set != nil && (set.tlsConfig != tlsConfig || !sameKeys(set, addrs)) {
		set.cancel()
		set = nil
	}
	if set == nil {
		ctx, cancel := context.WithCancel(context.Background())
		set = &addressWatches{tlsConfig: tlsConfig, ctx: ctx, cancel: cancel,
			started: map[string]time.Time{}, ended: map[string]time.Time{}}
		w.watches[name] = set
	}
	now := time.Now()
	for _, addr := range addrs {
		if _, up := set.started[addr]; up {
			continue
		}
		if startedAt, ok := set.ended[addr]; ok && now.Sub(startedAt) < watchMinLifetime {
			continue
		}
		delete(set.ended, addr)
		set.started[addr] = now
		go w.hold(set, name, addr)
	}
}

// sameKeys reports whether set watches exactly addrs.
func sameKeys(set *addressWatches, addrs []string) bool {
	known := make([]string, 0, len(set.started)+len(set.ended))
	for addr := range set.started {
		known = append(known, addr)
	}
	for addr := range set.ended {
		known = append(known, addr)
	}
	slices.Sort(known)
	return slices.Equal(known, slices.Sorted(slices.Values(addrs)))
}

// hold dials addr and blocks until the connection ends, then queues name.
func (w *connectionWatcher) hold(set *addressWatches, name, addr string) {
	config := set.tlsConfig.Clone()
	config.NextProtos = []string{"http/1.1"}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: watchDialTimeout, KeepAlive: 15 * time.Second}, Config: config}
	conn, err := dialer.DialContext(set.ctx, "tcp", addr)
	if err == nil {
		stop := context.AfterFunc(set.ctx, func() { _ = conn.Close() })
		// Nothing is ever sent, so Read returns only when the backend
		// closes the connection or it breaks.
		_, _ = conn.Read(make([]byte, 1))
		stop()
		_ = conn.Close()
	}

	w.mu.Lock()
	if startedAt, ok := set.started[addr]; ok {
		delete(set.started, addr)
		set.ended[addr] = startedAt
	}
	w.mu.Unlock()
	if set.ctx.Err() == nil {
		w.enqueue(name)
	}
}

// stop closes the watch connections of name.
func (w *connectionWatcher) stop(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if set := w.watches[name]; set != nil {
		set.cancel()
		delete(w.watches, name)
	}
}

// stopAll closes every watch connection.
func (w *connectionWatcher) stopAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, set := range w.watches {
		set.cancel()
		delete(w.watches, name)
	}
}
