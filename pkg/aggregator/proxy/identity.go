package proxy

import (
	"net/textproto"
	"strings"

	"k8s.io/apiserver/pkg/authentication/user"
)

// Identity headers the proxy sets; backends trust them because the request
// arrives with the proxy client certificate.
const (
	headerRemoteUser        = "X-Remote-User"
	headerRemoteUID         = "X-Remote-Uid"
	headerRemoteGroup       = "X-Remote-Group"
	headerRemoteExtraPrefix = "X-Remote-Extra-"
	headerRemotePrefix      = "X-Remote-"
)

// identityHeaders decides which inbound headers could claim an identity.
// Names are kept in canonical form because the server canonicalizes inbound
// header names, so checking a request's headers allocates nothing.
type identityHeaders struct {
	names      map[string]bool // canonical (textproto.CanonicalMIMEHeaderKey)
	prefixes   []string        // compared case-insensitively
	extraNames *extraHeaderNames
}

func newIdentityHeaders(cfg Config) identityHeaders {
	h := identityHeaders{
		names: map[string]bool{},
		// All of X-Remote-*, not only the names the proxy sets: it is the
		// front-proxy identity convention, and a backend may read more of it.
		prefixes:   []string{"Impersonate-", headerRemotePrefix},
		extraNames: &extraHeaderNames{},
	}
	for _, name := range []string{"Authorization", headerRemoteUser, headerRemoteUID, headerRemoteGroup} {
		h.names[textproto.CanonicalMIMEHeaderKey(name)] = true
	}
	for _, list := range [][]string{cfg.RequestHeaderUsernameHeaders, cfg.RequestHeaderGroupHeaders, cfg.RequestHeaderUIDHeaders} {
		for _, name := range list {
			h.names[textproto.CanonicalMIMEHeaderKey(name)] = true
		}
	}
	for _, prefix := range cfg.RequestHeaderExtraHeaderPrefixes {
		if prefix != "" {
			h.prefixes = append(h.prefixes, prefix)
		}
	}
	return h
}

// identityCount is how many header values forward sets for u.
func identityCount(u user.Info) int {
	n := 2 + len(u.GetGroups()) // user and uid
	for _, values := range u.GetExtra() {
		n += len(values)
	}
	return n
}

// forward removes every identity-bearing header and sets the ones
// describing u, as client-go's SetAuthProxyHeaders would.
func (h identityHeaders) forward(b *headerBlock, u user.Info) {
	for key := range b.header {
		if h.claimsIdentity(key) {
			delete(b.header, key)
		}
	}
	b.set(headerRemoteUser, u.GetName())
	if uid := u.GetUID(); uid != "" {
		b.set(headerRemoteUID, uid)
	}
	if groups := u.GetGroups(); len(groups) > 0 {
		b.set(headerRemoteGroup, groups...)
	}
	for key, values := range u.GetExtra() {
		if len(values) > 0 {
			b.set(h.extraNames.headerFor(key), values...)
		}
	}
}

// claimsIdentity matches key case-insensitively. CanonicalMIMEHeaderKey
// returns an already canonical key as is, so only odd spellings allocate.
func (h identityHeaders) claimsIdentity(key string) bool {
	if h.names[textproto.CanonicalMIMEHeaderKey(key)] {
		return true
	}
	for _, prefix := range h.prefixes {
		if len(key) >= len(prefix) && strings.EqualFold(key[:len(prefix)], prefix) {
			return true
		}
	}
	return false
}

// escapeExtraKey percent-encodes an extra key so it is a valid header name:
// what url.PathEscape encodes and also every other byte not allowed in a
// header name (such as ':'). Backends decode it with url.PathUnescape.
func escapeExtraKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if isTokenByte(c) && c != '%' {
			b.WriteByte(c)
			continue
		}
		const hex = "0123456789ABCDEF"
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// isTokenByte reports whether c may appear in an HTTP header name (RFC 9110 tchar).
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
