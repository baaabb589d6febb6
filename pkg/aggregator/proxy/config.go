package proxy

import (
	"time"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
	"k8s.io/apimachinery/pkg/runtime"
)

const (
	defaultDiscoveryTimeout = 5 * time.Second
	defaultMaxAttempts      = 3
	minBackoff              = time.Second
	maxBackoff              = 30 * time.Second
	refusedBackoff          = 500 * time.Millisecond
)

// Config is what a Handler needs. Resolver, Transports and Serializer are
// required.
type Config struct {
	// Resolver finds the addresses of an APIService's Service.
	Resolver resolve.Resolver
	// Transports reaches backends; share it with the availability prober.
	Transports *backend.Transports
	// Serializer encodes error Statuses in the format the client asked for
	// (the server's serializer.CodecFactory, with metav1.Status known in "v1").
	Serializer runtime.NegotiatedSerializer

	// The requestheader flags of this server (--requestheader-username-headers
	// and friends). Headers with these names or prefixes are removed from
	// every proxied request, on top of the standard X-Remote-* ones, so that a
	// caller can never pass an identity of its own choosing to a backend.
	RequestHeaderUsernameHeaders     []string
	RequestHeaderGroupHeaders        []string
	RequestHeaderUIDHeaders          []string
	RequestHeaderExtraHeaderPrefixes []string

	// AllowRedirects passes backend 3xx responses with a Location through.
	// By default they become 502, as with kube-apiserver's default
	// --aggregator-reject-forwarding-redirect=true: following a redirect would
	// let a backend point the client, with its credentials, anywhere.
	AllowRedirects bool
	// DiscoveryTimeout bounds requests for exactly /apis/<group>/<version>;
	// 5s when zero, as kube-aggregator.
	DiscoveryTimeout time.Duration
	// MaxAttempts is how many addresses one request may try; 3 when zero.
	MaxAttempts int
	// Metrics receive per-APIService request metrics; when nil they are
	// kept but exposed nowhere.
	Metrics *Metrics
}

func (c Config) withDefaults() Config {
	if c.DiscoveryTimeout <= 0 {
		c.DiscoveryTimeout = defaultDiscoveryTimeout
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
	return c
}
