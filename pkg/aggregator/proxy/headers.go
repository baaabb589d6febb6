package proxy

import (
	"net"
	"net/http"
	"net/textproto"
	"strings"
)

// headerBlock sets outbound header values from one allocation instead of
// one slice per header.Set: a proxied request sets a dozen values, and
// each Set was an allocation on every request (bench/proxypath).
type headerBlock struct {
	header http.Header
	values []string
}

func newHeaderBlock(header http.Header, capacity int) headerBlock {
	return headerBlock{header: header, values: make([]string, 0, capacity)}
}

// set replaces name's values, as header.Set and Add would. The slice is
// capped so that a later append to it cannot overwrite the next header.
func (b *headerBlock) set(name string, values ...string) {
	start := len(b.values)
	b.values = append(b.values, values...)
	end := len(b.values)
	b.header[textproto.CanonicalMIMEHeaderKey(name)] = b.values[start:end:end]
}

// forwardedCount is how many values setForwarded sets at most.
const forwardedCount = 3

// setForwarded is httputil.ProxyRequest.SetXForwarded through b: the
// client's address appended to any X-Forwarded-For of out, X-Forwarded-Host
// and X-Forwarded-Proto from in.
func (b *headerBlock) setForwarded(in *http.Request) {
	if clientIP, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		if prior := b.header["X-Forwarded-For"]; len(prior) > 0 {
			clientIP = strings.Join(prior, ", ") + ", " + clientIP
		}
		b.set("X-Forwarded-For", clientIP)
	} else {
		delete(b.header, "X-Forwarded-For")
	}
	b.set("X-Forwarded-Host", in.Host)
	if in.TLS == nil {
		b.set("X-Forwarded-Proto", "http")
	} else {
		b.set("X-Forwarded-Proto", "https")
	}
}
