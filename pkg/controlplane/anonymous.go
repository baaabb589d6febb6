package controlplane

import (
	"net/http"
	"path"
	"strings"

	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/anonymous"
)

// healthPaths answer probes and load balancers, which call them without
// credentials; each named check below them (/readyz/etcd) as well.
var healthPaths = []string{"/healthz", "/livez", "/readyz"}

// publicInfoAnonymous lets anonymous requests in only for the paths
// system:public-info-viewer grants: the health checks and /version. Every
// other path stays 401 for a caller without credentials, as with
// kube-apiserver's AuthenticationConfiguration anonymous.conditions. (That
// takes exact paths only; the named checks need a prefix.)
type publicInfoAnonymous struct{ anonymous authenticator.Request }

func newPublicInfoAnonymous() authenticator.Request {
	return publicInfoAnonymous{anonymous: anonymous.NewAuthenticator([]apiserver.AnonymousAuthCondition(nil))}
}

func (a publicInfoAnonymous) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if req.URL == nil || !isPublicInfoPath(req.URL.Path) {
		return nil, false, nil
	}
	return a.anonymous.AuthenticateRequest(req)
}

func isPublicInfoPath(p string) bool {
	if p == "/version" || p == "/version/" {
		return true
	}
	// Unclean paths (/readyz/../api) are refused outright rather than
	// trusted to route where their prefix says.
	if path.Clean(p) != p {
		return false
	}
	for _, base := range healthPaths {
		if p == base || strings.HasPrefix(p, base+"/") {
			return true
		}
	}
	return false
}
