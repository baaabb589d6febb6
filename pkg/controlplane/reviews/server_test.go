package reviews

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	"k8s.io/apiserver/pkg/authentication/user"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"
	basecompatibility "k8s.io/component-base/compatibility"
	"k8s.io/utils/ptr"

	"github.com/aggkit/aggkit/pkg/openapi"
	"github.com/aggkit/aggkit/pkg/serviceaccount"
)

// serviceAccounts is the parent "serviceaccounts" resource the token
// subresource hangs off: read-only, in memory.
type serviceAccounts struct {
	mu    sync.Mutex
	items map[string]*corev1.ServiceAccount
}

func (s *serviceAccounts) New() runtime.Object        { return &corev1.ServiceAccount{} }
func (s *serviceAccounts) Destroy()                   {}
func (s *serviceAccounts) NamespaceScoped() bool      { return true }
func (s *serviceAccounts) GetSingularName() string    { return "serviceaccount" }
func (s *serviceAccounts) key(ns, name string) string { return ns + "/" + name }

func (s *serviceAccounts) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	return s.GetServiceAccount(ctx, genericapirequest.NamespaceValue(ctx), name)
}

func (s *serviceAccounts) GetServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sa, ok := s.items[s.key(ns, name)]; ok {
		return sa.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("serviceaccounts"), name)
}

// startServer runs a generic apiserver on loopback that serves the reviews
// and serviceaccounts/token the way `aggkit serve` wires them, and returns
// clients for a static admin token and the server's issuer.
func startServer(t *testing.T) (admin *kubernetes.Clientset, cfg *restclient.Config) {
	t.Helper()
	scheme, codecs := newTestScheme()
	apiAudiences := authenticator.Audiences{serviceaccount.DefaultIssuer}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer("", key)
	if err != nil {
		t.Fatal(err)
	}
	sas := &serviceAccounts{items: map[string]*corev1.ServiceAccount{
		"team/builder": {ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "builder", UID: "builder-uid"}},
	}}
	saAuth, err := serviceaccount.NewAuthenticator(serviceaccount.AuthenticatorConfig{
		Keys: []crypto.PublicKey{issuer.PublicKey()}, APIAudiences: apiAudiences, ServiceAccounts: sas,
	})
	if err != nil {
		t.Fatal(err)
	}
	static := tokenfile.New(map[string]*user.DefaultInfo{"admin-token": {Name: "admin", Groups: []string{"admins"}}})
	authn := group.NewAuthenticatedGroupAdder(union.New(
		TokenAuthenticatorRequest(saAuth),
		TokenAuthenticatorRequest(authenticator.WrapAudienceAgnosticToken(apiAudiences, static)),
	))
	pol := testPolicy()
	pol.rules = append(pol.rules, policyRule{group: "admins", verbs: []string{"*"}, urls: []string{"*"}})
	pol.rules = append(pol.rules, policyRule{group: "system:serviceaccounts:team", namespace: "team", verbs: []string{"get"}, apiGroups: []string{""}, resources: []string{"pods"}})
	pol.rules = append(pol.rules, policyRule{group: "system:authenticated", verbs: []string{"create"}, apiGroups: []string{"authorization.k8s.io", "authentication.k8s.io"}, resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"}})

	config := genericapiserver.NewRecommendedConfig(codecs)
	config.EffectiveVersion = basecompatibility.NewEffectiveVersionFromString("1.37", "", "")
	config.FeatureGate = utilfeature.DefaultFeatureGate
	serving := genericoptions.NewSecureServingOptions().WithLoopback()
	serving.BindAddress = net.ParseIP("127.0.0.1")
	// Port 0 would mean "no secure serving"; listen first, on any free port.
	if serving.Listener, serving.BindPort, err = genericoptions.CreateListener("tcp", "127.0.0.1:0", net.ListenConfig{}); err != nil {
		t.Fatal(err)
	}
	serving.ServerCert.CertDirectory = t.TempDir()
	if err := serving.MaybeDefaultWithSelfSignedCerts("localhost", nil, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
		t.Fatal(err)
	}
	if err := serving.ApplyTo(&config.SecureServing, &config.LoopbackClientConfig); err != nil {
		t.Fatal(err)
	}
	config.Authentication.Authenticator = authn
	config.Authentication.APIAudiences = apiAudiences
	config.Authorization.Authorizer = pol
	config.RuleResolver = pol
	namer := openapinamer.NewDefinitionNamer(scheme)
	config.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)

	server, err := config.Complete().New("reviews-test", genericapiserver.NewEmptyDelegate())
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := serviceaccount.NewTokenREST(serviceaccount.TokenRESTConfig{Issuer: issuer, ServiceAccounts: sas})
	if err != nil {
		t.Fatal(err)
	}
	core := genericapiserver.NewDefaultAPIGroupInfo("", scheme, runtime.NewParameterCodec(scheme), codecs)
	core.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{"serviceaccounts": sas, "serviceaccounts/token": tokens}
	if err := server.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, &core); err != nil {
		t.Fatal(err)
	}
	authnGroup := genericapiserver.NewDefaultAPIGroupInfo(authenticationv1.GroupName, scheme, runtime.NewParameterCodec(scheme), codecs)
	authnGroup.VersionedResourcesStorageMap["v1"] = AuthenticationStorage(config.Authentication.Authenticator, apiAudiences)
	authzGroup := genericapiserver.NewDefaultAPIGroupInfo(authorizationv1.GroupName, scheme, runtime.NewParameterCodec(scheme), codecs)
	authzGroup.VersionedResourcesStorageMap["v1"] = AuthorizationStorage(pol, pol)
	if err := server.InstallAPIGroups(&authnGroup, &authzGroup); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := server.PrepareRun().RunWithContext(ctx); err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-stopped })

	cfg = &restclient.Config{
		Host:            config.LoopbackClientConfig.Host,
		TLSClientConfig: restclient.TLSClientConfig{Insecure: true},
	}
	adminCfg := restclient.CopyConfig(cfg)
	adminCfg.BearerToken = "admin-token"
	admin = kubernetes.NewForConfigOrDie(adminCfg)
	var lastErr error
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, lastErr = admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return lastErr == nil, nil
	})
	if err != nil {
		t.Fatalf("server never became ready: %v (last: %v)", err, lastErr)
	}
	return admin, cfg
}

// TestServedThroughAPIServer drives everything through a real server and
// client-go, as kubectl would: create token, whoami, can-i, can-i --list.
func TestServedThroughAPIServer(t *testing.T) {
	admin, cfg := startServer(t)
	ctx := context.Background()

	// Discovery names the token subresource's real kind.
	resources, err := admin.Discovery().ServerResourcesForGroupVersion("v1")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(resources.APIResources, func(r metav1.APIResource) bool { return r.Name == "serviceaccounts/token" })
	if i < 0 {
		t.Fatalf("serviceaccounts/token not in discovery: %+v", resources.APIResources)
	}
	if r := resources.APIResources[i]; r.Group != "authentication.k8s.io" || r.Version != "v1" || r.Kind != "TokenRequest" || !slices.Equal(r.Verbs, []string{"create"}) {
		t.Errorf("serviceaccounts/token discovery = %+v", r)
	}

	// kubectl create token
	tr, err := admin.CoreV1().ServiceAccounts("team").CreateToken(ctx, "builder", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](1200)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status.Token == "" || tr.Name != "builder" || tr.Namespace != "team" || !slices.Equal(tr.Spec.Audiences, []string{serviceaccount.DefaultIssuer}) {
		t.Fatalf("token request = %+v", tr)
	}
	if _, err := admin.CoreV1().ServiceAccounts("team").CreateToken(ctx, "ghost", &authenticationv1.TokenRequest{}, metav1.CreateOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("token for a missing service account: want NotFound, got %v", err)
	}
	if _, err := admin.CoreV1().ServiceAccounts("team").CreateToken(ctx, "builder", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](60)},
	}, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("60 second token: want Invalid, got %v", err)
	}

	// The issued token authenticates requests: kubectl auth whoami.
	saCfg := restclient.CopyConfig(cfg)
	saCfg.BearerToken = tr.Status.Token
	sa := kubernetes.NewForConfigOrDie(saCfg)
	who, err := sa.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := who.Status.UserInfo; u.Username != "system:serviceaccount:team:builder" || u.UID != "builder-uid" ||
		!slices.Equal(u.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"}) ||
		len(u.Extra["authentication.kubernetes.io/credential-id"]) != 1 {
		t.Errorf("whoami = %+v", u)
	}

	// TokenReview, as an extension apiserver or webhook would call it.
	review, err := admin.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: tr.Status.Token}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !review.Status.Authenticated || review.Status.User.Username != "system:serviceaccount:team:builder" {
		t.Errorf("token review = %+v", review.Status)
	}
	review, err = admin.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: tr.Status.Token, Audiences: []string{"vault"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if review.Status.Authenticated || review.Status.Error == "" {
		t.Errorf("token review for another audience = %+v", review.Status)
	}

	// kubectl auth can-i, as the service account.
	for verb, want := range map[string]bool{"get": true, "delete": false} {
		ssar, err := sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "team", Verb: verb, Resource: "pods"},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ssar.Status.Allowed != want {
			t.Errorf("can-i %s pods: allowed = %v, want %v", verb, ssar.Status.Allowed, want)
		}
	}

	// kubectl auth can-i --list
	rules, err := sa.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "team"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rules.Status.ResourceRules, func(r authorizationv1.ResourceRule) bool {
		return slices.Equal(r.Resources, []string{"pods"}) && slices.Equal(r.Verbs, []string{"get"})
	}) {
		t.Errorf("rules = %+v", rules.Status)
	}

	// Validation errors reach the client as 422/400 Status objects.
	_, err = admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods"},
	}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Errorf("SubjectAccessReview without a subject: want Invalid, got %v", err)
	}
	_, err = admin.AuthorizationV1().LocalSubjectAccessReviews("team").Create(ctx, &authorizationv1.LocalSubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "prod", Verb: "get", Resource: "pods"},
	}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Errorf("LocalSubjectAccessReview for another namespace: want Invalid, got %v", err)
	}
	local, err := admin.AuthorizationV1().LocalSubjectAccessReviews("team").Create(ctx, &authorizationv1.LocalSubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "team", Verb: "list", Resource: "pods"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !local.Status.Allowed || local.Namespace != "team" {
		t.Errorf("local review = %+v", local)
	}
}
