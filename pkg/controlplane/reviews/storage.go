package reviews

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/rest"
)

// reviewKind holds what every review storage tells the API installer: how
// to make an empty object, its singular name and its scope.
type reviewKind struct {
	newObject  func() runtime.Object
	singular   string
	namespaced bool
}

// New returns an empty review object.
func (k reviewKind) New() runtime.Object { return k.newObject() }

// Destroy has nothing to release: reviews hold no storage.
func (k reviewKind) Destroy() {}

// NamespaceScoped reports whether the review is served under a namespace.
func (k reviewKind) NamespaceScoped() bool { return k.namespaced }

// GetSingularName is the singular resource name shown in discovery.
func (k reviewKind) GetSingularName() string { return k.singular }

// reviewStorage is what every review storage implements.
type reviewStorage interface {
	rest.Storage
	rest.Creater
	rest.Scoper
	rest.SingularNameProvider
}

var (
	_ reviewStorage = &TokenReviewREST{}
	_ reviewStorage = &SelfSubjectReviewREST{}
	_ reviewStorage = &SubjectAccessReviewREST{}
	_ reviewStorage = &LocalSubjectAccessReviewREST{}
	_ reviewStorage = &SelfSubjectAccessReviewREST{}
	_ reviewStorage = &SelfSubjectRulesReviewREST{}
)

// AuthenticationStorage returns the authentication.k8s.io/v1 resources,
// keyed by resource name, for APIGroupInfo.VersionedResourcesStorageMap["v1"].
// auth is the server's complete request authenticator; apiAudiences are
// its API audiences (may be empty).
func AuthenticationStorage(auth authenticator.Request, apiAudiences authenticator.Audiences) map[string]rest.Storage {
	return map[string]rest.Storage{
		"tokenreviews":       NewTokenReviewREST(auth, apiAudiences),
		"selfsubjectreviews": NewSelfSubjectReviewREST(),
	}
}

// AuthorizationStorage returns the authorization.k8s.io/v1 resources, keyed
// by resource name, for APIGroupInfo.VersionedResourcesStorageMap["v1"].
func AuthorizationStorage(authz authorizer.UnconditionalAuthorizer, rules authorizer.RuleResolver) map[string]rest.Storage {
	return map[string]rest.Storage{
		"subjectaccessreviews":      NewSubjectAccessReviewREST(authz),
		"localsubjectaccessreviews": NewLocalSubjectAccessReviewREST(authz),
		"selfsubjectaccessreviews":  NewSelfSubjectAccessReviewREST(authz),
		"selfsubjectrulesreviews":   NewSelfSubjectRulesReviewREST(rules),
	}
}
