package proxy

import (
	"net/url"
	"strings"
)

// forwardAuthorized makes out's path and query the ones the request was
// authorized for. Authorization (RequestInfo) reads the decoded path, so
// the backend gets that path, not the caller's spelling of it: with the raw
// path kept, ".../namespaces/sec%2ffoos" (authorized as "list foos in sec")
// would reach a backend that routes on the escaped path as something else.
// The query is re-encoded from its parsed values, as kube-aggregator's
// handler_proxy.go does (location.Path = req.URL.Path, RawQuery =
// req.URL.Query().Encode()).
func forwardAuthorized(out, in *url.URL) {
	out.Path = in.Path
	out.RawPath = ""
	if in.RawQuery != "" {
		out.RawQuery = in.Query().Encode()
	}
}

// canonicalPath reports whether path has no ".", ".." or empty segment
// (a trailing slash aside). Such segments name no API object, and a backend
// that resolves them, as http.ServeMux and most routers do, would serve
// another path than the one authorized: ".../namespaces/mine/foos/../../
// theirs/foos" is authorized in namespace "mine", and "/apis/g/v/../../x"
// leaves the APIService's prefix.
func canonicalPath(path string) bool {
	rest := strings.TrimPrefix(path, "/")
	for rest != "" {
		segment, after, more := strings.Cut(rest, "/")
		if segment == "." || segment == ".." || segment == "" && more {
			return false
		}
		rest = after
	}
	return true
}
