package reviews

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

// newTestScheme is the smallest scheme that serves the reviews and the
// serviceaccounts/token subresource: each group's v1 types, then the same
// Go types as <group>/__internal, the hub the API installer decodes request
// bodies to. TokenRequest belongs to authentication.k8s.io; the core group
// needs only ServiceAccount.
func newTestScheme() (*runtime.Scheme, serializer.CodecFactory) {
	scheme := runtime.NewScheme()
	groups := []struct {
		gv     schema.GroupVersion
		add    func(*runtime.Scheme) error
		served []runtime.Object
	}{
		{corev1.SchemeGroupVersion, corev1.AddToScheme, []runtime.Object{&corev1.ServiceAccount{}}},
		{authenticationv1.SchemeGroupVersion, authenticationv1.AddToScheme, []runtime.Object{
			&authenticationv1.TokenReview{}, &authenticationv1.TokenRequest{}, &authenticationv1.SelfSubjectReview{},
		}},
		{authorizationv1.SchemeGroupVersion, authorizationv1.AddToScheme, []runtime.Object{
			&authorizationv1.SubjectAccessReview{}, &authorizationv1.LocalSubjectAccessReview{},
			&authorizationv1.SelfSubjectAccessReview{}, &authorizationv1.SelfSubjectRulesReview{},
		}},
	}
	for _, g := range groups {
		// v1 first: ObjectKinds lists kinds in registration order and
		// callers take the first.
		utilruntime.Must(g.add(scheme))
		scheme.AddKnownTypes(schema.GroupVersion{Group: g.gv.Group, Version: runtime.APIVersionInternal}, g.served...)
		utilruntime.Must(scheme.SetVersionPriority(g.gv))
	}
	unversioned := schema.GroupVersion{Version: "v1"}
	metav1.AddToGroupVersion(scheme, unversioned)
	scheme.AddUnversionedTypes(unversioned, &metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{}, &metav1.APIGroup{}, &metav1.APIResourceList{})
	return scheme, serializer.NewCodecFactory(scheme)
}
