package reviews

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// AddToScheme registers the authentication.k8s.io/v1 and
// authorization.k8s.io/v1 types, and the same Go types again as each group's
// __internal version: the API installer decodes request bodies to
// <group>/__internal, and without a k8s.io/kubernetes internal package the
// v1 types serve as their own hub. TokenRequest comes with the
// authentication group, which also covers the serviceaccounts/token
// subresource.
func AddToScheme(scheme *runtime.Scheme) error {
	if err := authenticationv1.AddToScheme(scheme); err != nil {
		return err
	}
	if err := authorizationv1.AddToScheme(scheme); err != nil {
		return err
	}
	// v1 first: ObjectKinds lists GVKs in registration order and callers
	// take the first.
	scheme.AddKnownTypes(internal(authenticationv1.SchemeGroupVersion),
		&authenticationv1.TokenReview{},
		&authenticationv1.TokenRequest{},
		&authenticationv1.SelfSubjectReview{},
	)
	scheme.AddKnownTypes(internal(authorizationv1.SchemeGroupVersion),
		&authorizationv1.SubjectAccessReview{},
		&authorizationv1.LocalSubjectAccessReview{},
		&authorizationv1.SelfSubjectAccessReview{},
		&authorizationv1.SelfSubjectRulesReview{},
	)
	if err := scheme.SetVersionPriority(authenticationv1.SchemeGroupVersion); err != nil {
		return err
	}
	return scheme.SetVersionPriority(authorizationv1.SchemeGroupVersion)
}

func internal(gv schema.GroupVersion) schema.GroupVersion {
	return schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}
}
