package controlplane

import (
	"net/http"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
)

// namedOnly runs the front-proxy authenticator only for requests that carry
// a username header. Without one it could only decline, but it would first
// verify the client certificate against the front-proxy CA: an x509
// verification, failing for every ordinary client-certificate user, on
// every request.
type namedOnly struct {
	inner           authenticator.Request
	usernameHeaders headerrequest.StringSliceProvider
}

func (n namedOnly) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	for _, h := range n.usernameHeaders.Value() {
		if req.Header.Get(h) != "" {
			return n.inner.AuthenticateRequest(req)
		}
	}
	return nil, false, nil
}
