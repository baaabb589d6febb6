package apiservicetest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	restclient "k8s.io/client-go/rest"
	basecompatibility "k8s.io/component-base/compatibility"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/pkg/aggregator/apiservice"
	"github.com/aggkit/aggkit/pkg/openapi"
)

// Server is a running GenericAPIServer that serves only
// apiregistration.k8s.io/v1 from embedded etcd, over plain HTTP on loopback.
type Server struct {
	// Config reaches the server; every request acts as a system:masters user.
	Config *restclient.Config
	// Client is kube-aggregator's generated clientset on Config.
	Client aggregatorclient.Interface
}

// StartServer starts a Server that is shut down when the test ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	scheme := NewScheme()
	// Status, WatchEvent, discovery documents and the like.
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	codecs := serializer.NewCodecFactory(scheme)
	options := StartEtcd(t, scheme)

	config := genericapiserver.NewConfig(codecs)
	config.ExternalAddress = "127.0.0.1:443"
	config.LoopbackClientConfig = &restclient.Config{}
	config.EffectiveVersion = basecompatibility.NewEffectiveVersionFromString("", "", "")
	config.Authentication.Authenticator = authenticator.RequestFunc(func(*http.Request) (*authenticator.Response, bool, error) {
		return &authenticator.Response{User: &user.DefaultInfo{Name: "apiservicetest", Groups: []string{user.SystemPrivilegedGroup}}}, true, nil
	})
	config.Authorization.Authorizer = authorizerfactory.NewAlwaysAllowAuthorizer()
	// Server-side apply needs the OpenAPI models; the spec itself need not be served.
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, openapinamer.NewDefinitionNamer(scheme))
	config.SkipOpenAPIInstallation = true

	server, err := config.Complete(nil).New("apiservicetest", genericapiserver.NewEmptyDelegate())
	if err != nil {
		t.Fatalf("new generic API server: %v", err)
	}
	t.Cleanup(server.Destroy)
	info, err := apiservice.NewAPIGroupInfo(scheme, codecs, options)
	if err != nil {
		t.Fatalf("apiregistration group: %v", err)
	}
	if err := server.InstallAPIGroup(info); err != nil {
		t.Fatalf("install apiregistration group: %v", err)
	}

	httpServer := httptest.NewServer(server.Handler)
	t.Cleanup(httpServer.Close)
	// No client-side rate limit: client-go's default (5 QPS) would make tests
	// that issue a few dozen requests wait for seconds.
	clientConfig := &restclient.Config{Host: httpServer.URL, QPS: -1}
	client, err := aggregatorclient.NewForConfig(clientConfig)
	if err != nil {
		t.Fatalf("aggregator clientset: %v", err)
	}
	return &Server{Config: clientConfig, Client: client}
}
