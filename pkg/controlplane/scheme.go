package controlplane

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	apiregistrationinstall "k8s.io/kube-aggregator/pkg/apis/apiregistration/install"
)

// builtinGroup is one group of k8s.io/api types that the control plane
// serves at a single version.
type builtinGroup struct {
	version     schema.GroupVersion
	addToScheme func(*runtime.Scheme) error
	// served lists the object and list types stored or answered here.
	served []runtime.Object
}

var builtinGroups = []builtinGroup{
	{corev1.SchemeGroupVersion, corev1.AddToScheme, []runtime.Object{
		&corev1.Namespace{}, &corev1.NamespaceList{},
		&corev1.Service{}, &corev1.ServiceList{},
		&corev1.Endpoints{}, &corev1.EndpointsList{},
		&corev1.ConfigMap{}, &corev1.ConfigMapList{},
		&corev1.Secret{}, &corev1.SecretList{},
		&corev1.ServiceAccount{}, &corev1.ServiceAccountList{},
		&corev1.Event{}, &corev1.EventList{},
	}},
	{discoveryv1.SchemeGroupVersion, discoveryv1.AddToScheme, []runtime.Object{
		&discoveryv1.EndpointSlice{}, &discoveryv1.EndpointSliceList{},
	}},
	{coordinationv1.SchemeGroupVersion, coordinationv1.AddToScheme, []runtime.Object{
		&coordinationv1.Lease{}, &coordinationv1.LeaseList{},
	}},
	{rbacv1.SchemeGroupVersion, rbacv1.AddToScheme, []runtime.Object{
		&rbacv1.Role{}, &rbacv1.RoleList{},
		&rbacv1.RoleBinding{}, &rbacv1.RoleBindingList{},
		&rbacv1.ClusterRole{}, &rbacv1.ClusterRoleList{},
		&rbacv1.ClusterRoleBinding{}, &rbacv1.ClusterRoleBindingList{},
	}},
	{authenticationv1.SchemeGroupVersion, authenticationv1.AddToScheme, []runtime.Object{
		&authenticationv1.TokenReview{}, &authenticationv1.SelfSubjectReview{},
		&authenticationv1.TokenRequest{},
	}},
	{authorizationv1.SchemeGroupVersion, authorizationv1.AddToScheme, []runtime.Object{
		&authorizationv1.SubjectAccessReview{}, &authorizationv1.LocalSubjectAccessReview{},
		&authorizationv1.SelfSubjectAccessReview{}, &authorizationv1.SelfSubjectRulesReview{},
	}},
	{admissionregistrationv1.SchemeGroupVersion, admissionregistrationv1.AddToScheme, []runtime.Object{
		&admissionregistrationv1.ValidatingWebhookConfiguration{}, &admissionregistrationv1.ValidatingWebhookConfigurationList{},
		&admissionregistrationv1.MutatingWebhookConfiguration{}, &admissionregistrationv1.MutatingWebhookConfigurationList{},
		&admissionregistrationv1.ValidatingAdmissionPolicy{}, &admissionregistrationv1.ValidatingAdmissionPolicyList{},
		&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{},
		&admissionregistrationv1.MutatingAdmissionPolicy{}, &admissionregistrationv1.MutatingAdmissionPolicyList{},
		&admissionregistrationv1.MutatingAdmissionPolicyBinding{}, &admissionregistrationv1.MutatingAdmissionPolicyBindingList{},
	}},
	{flowcontrolv1.SchemeGroupVersion, flowcontrolv1.AddToScheme, []runtime.Object{
		&flowcontrolv1.FlowSchema{}, &flowcontrolv1.FlowSchemaList{},
		&flowcontrolv1.PriorityLevelConfiguration{}, &flowcontrolv1.PriorityLevelConfigurationList{},
	}},
}

// newScheme builds the scheme of the built-in API.
//
// k8s.io/api has only versioned types, and the internal types of Kubernetes
// live in k8s.io/kubernetes, which cannot be a dependency. So each served v1
// type is registered a second time as its group's internal version: the
// scheme then "converts" between the two by copying and setting the kind,
// with no conversion functions. This serves exactly one version per group.
// The versioned registration must come first, because callers take the
// first of an object's kinds.
func newScheme() (*runtime.Scheme, serializer.CodecFactory) {
	scheme := runtime.NewScheme()
	for _, g := range builtinGroups {
		utilruntime.Must(g.addToScheme(scheme))
		internal := schema.GroupVersion{Group: g.version.Group, Version: runtime.APIVersionInternal}
		scheme.AddKnownTypes(internal, g.served...)
		utilruntime.Must(scheme.SetVersionPriority(g.version))
	}
	// APIServices have real internal types and conversions in kube-aggregator.
	apiregistrationinstall.Install(scheme)

	unversioned := schema.GroupVersion{Version: "v1"}
	metav1.AddToGroupVersion(scheme, unversioned)
	scheme.AddUnversionedTypes(unversioned,
		&metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{},
		&metav1.APIGroup{}, &metav1.APIResourceList{})
	return scheme, serializer.NewCodecFactory(scheme)
}
