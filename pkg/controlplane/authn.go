package controlplane

import (
	"fmt"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	unionauth "k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/request/websocket"
	"k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	tokenunion "k8s.io/apiserver/pkg/authentication/token/union"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// authentication is everything the server needs to know who is calling.
type authentication struct {
	request authenticator.Request
	// clientCAFile is --client-ca-file, reloaded when the file changes.
	clientCAFile *dynamiccertificates.DynamicFileCAContent
	// tokens answers TokenReviews: static and service-account tokens.
	tokens authenticator.Token
	// clientCA verifies client certificates at the TLS handshake: the
	// client CA and the front-proxy CA.
	clientCA      dynamiccertificates.CAContentProvider
	requestHeader *authenticatorfactory.RequestHeaderConfig
}

// buildAuthentication assembles kube-apiserver's order: front proxy,
// client certificates, bearer tokens, then anonymous if allowed (for the
// public-info paths only).
func (o *Options) buildAuthentication(extraTokens ...authenticator.Token) (*authentication, error) {
	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca-bundle", o.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("--client-ca-file: %w", err)
	}
	rh, err := o.RequestHeader.ToAuthenticationRequestHeaderConfig()
	if err != nil {
		return nil, fmt.Errorf("--requestheader-client-ca-file: %w", err)
	}

	var tokens []authenticator.Token
	if o.TokenAuthFile != "" {
		static, err := tokenfile.NewCSV(o.TokenAuthFile)
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file: %w", err)
		}
		// A static token names no audience; it is good for this server's.
		tokens = append(tokens, authenticator.WrapAudienceAgnosticToken(o.apiAudiences(), static))
	}
	tokens = append(tokens, extraTokens...)
	tokenAuth := tokenunion.New(tokens...)

	chain := []authenticator.Request{
		namedOnly{inner: headerrequest.NewDynamicVerifyOptionsSecure(rh.CAContentProvider.VerifyOptions, rh.AllowedClientNames,
			rh.UsernameHeaders, rh.UIDHeaders, rh.GroupHeaders, rh.ExtraHeaderPrefixes), usernameHeaders: rh.UsernameHeaders},
		// Cached with system:authenticated already added, so that the
		// adder around the union has nothing to copy on a cache hit.
		newCachedX509(group.NewAuthenticatedGroupAdder(x509.NewDynamic(clientCA.VerifyOptions, x509.CommonNameUserConversion)), clientCA),
		bearertoken.New(tokenAuth),
		websocket.NewProtocolAuthenticator(tokenAuth),
	}
	req := group.NewAuthenticatedGroupAdder(unionauth.New(chain...))
	if o.AnonymousAuth {
		req = unionauth.NewFailOnError(req, newPublicInfoAnonymous())
	}
	return &authentication{
		request:       req,
		clientCAFile:  clientCA,
		tokens:        tokenAuth,
		clientCA:      dynamiccertificates.NewUnionCAContentProvider(clientCA, rh.CAContentProvider),
		requestHeader: rh,
	}, nil
}

// apiAudiences are the audiences this server accepts tokens for, as
// kube-apiserver's --api-audiences defaults to the service-account issuer.
func (o *Options) apiAudiences() authenticator.Audiences {
	return authenticator.Audiences{o.ServiceAccountIssuer}
}
