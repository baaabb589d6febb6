package bootstrap

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
)

// Labels and annotations of the bootstrap policy.
const (
	// BootstrappingLabel marks objects that belong to the default policy.
	BootstrappingLabel = "kubernetes.io/bootstrapping"
	// BootstrappingValue is BootstrappingLabel's value.
	BootstrappingValue = "rbac-defaults"

	// AggregateToAdminLabel selects ClusterRoles whose rules the admin role gathers.
	AggregateToAdminLabel = "rbac.authorization.k8s.io/aggregate-to-admin"
	// AggregateToEditLabel selects ClusterRoles whose rules the edit role gathers.
	AggregateToEditLabel = "rbac.authorization.k8s.io/aggregate-to-edit"
	// AggregateToViewLabel selects ClusterRoles whose rules the view role gathers.
	AggregateToViewLabel = "rbac.authorization.k8s.io/aggregate-to-view"

	// SystemNamespace holds the namespaced bootstrap roles.
	SystemNamespace = "kube-system"
)

// ClusterRoles returns the default ClusterRoles. Each call returns fresh
// values the caller may modify.
func ClusterRoles() []rbacv1.ClusterRole {
	roles := []rbacv1.ClusterRole{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin"},
			Rules: []rbacv1.PolicyRule{
				resourceRule([]string{rbacv1.VerbAll}, rbacv1.APIGroupAll, rbacv1.ResourceAll),
				urlRule([]string{rbacv1.VerbAll}, rbacv1.NonResourceAll),
			},
		},
		aggregated("admin", AggregateToAdminLabel, nil),
		aggregated("edit", AggregateToEditLabel, map[string]string{AggregateToAdminLabel: "true"}),
		aggregated("view", AggregateToViewLabel, map[string]string{AggregateToEditLabel: "true"}),
		{
			ObjectMeta: metav1.ObjectMeta{Name: "system:aggregate-to-admin", Labels: map[string]string{AggregateToAdminLabel: "true"}},
			Rules: []rbacv1.PolicyRule{
				resourceRule([]string{"create"}, authorizationGroup, "localsubjectaccessreviews"),
				// Namespace admins manage who may do what in their namespace;
				// the escalation checks still bound what they can grant.
				resourceRule(readWrite, rbacv1.GroupName, "roles", "rolebindings"),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "system:aggregate-to-edit", Labels: map[string]string{AggregateToEditLabel: "true"}},
			Rules: []rbacv1.PolicyRule{
				// Reading secrets and acting as a service account give a
				// user more than view, so they start at edit, as upstream.
				resourceRule(read, legacyGroup, "secrets"),
				resourceRule([]string{"impersonate"}, legacyGroup, "serviceaccounts"),
				resourceRule(write, legacyGroup, "configmaps", "events", "secrets", "serviceaccounts", "services"),
				resourceRule([]string{"create"}, legacyGroup, "serviceaccounts/token"),
				resourceRule(write, coordinationGroup, "leases"),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "system:aggregate-to-view", Labels: map[string]string{AggregateToViewLabel: "true"}},
			Rules: []rbacv1.PolicyRule{
				resourceRule(read, legacyGroup, "configmaps", "endpoints", "serviceaccounts", "services", "services/status"),
				resourceRule(read, legacyGroup, "events", "namespaces", "namespaces/status"),
				resourceRule(read, discoveryGroup, "endpointslices"),
				resourceRule(read, coordinationGroup, "leases"),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "system:discovery"},
			Rules: []rbacv1.PolicyRule{
				urlRule([]string{"get"}, "/livez", "/readyz", "/healthz", "/version", "/version/",
					"/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*"),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "system:basic-user"},
			Rules: []rbacv1.PolicyRule{
				resourceRule([]string{"create"}, authorizationGroup, "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
				resourceRule([]string{"create"}, authenticationGroup, "selfsubjectreviews"),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "system:public-info-viewer"},
			Rules: []rbacv1.PolicyRule{
				// Wider than kube-apiserver's role by the named checks
				// (/readyz/etcd), which probes use as well.
				urlRule([]string{"get"}, "/livez", "/readyz", "/healthz", "/version", "/version/",
					"/livez/*", "/readyz/*", "/healthz/*"),
			},
		},
		{
			// For extension apiservers delegating authentication and
			// authorization back to this one.
			ObjectMeta: metav1.ObjectMeta{Name: "system:auth-delegator"},
			Rules: []rbacv1.PolicyRule{
				resourceRule([]string{"create"}, authenticationGroup, "tokenreviews"),
				resourceRule([]string{"create"}, authorizationGroup, "subjectaccessreviews"),
			},
		},
	}
	for i := range roles {
		addDefaultMetadata(&roles[i].ObjectMeta)
	}
	return roles
}

// ClusterRoleBindings returns the default ClusterRoleBindings.
func ClusterRoleBindings() []rbacv1.ClusterRoleBinding {
	bindings := []rbacv1.ClusterRoleBinding{
		clusterRoleBinding("cluster-admin", group(user.SystemPrivilegedGroup)),
		clusterRoleBinding("system:discovery", group(user.AllAuthenticated)),
		clusterRoleBinding("system:basic-user", group(user.AllAuthenticated)),
		clusterRoleBinding("system:public-info-viewer", group(user.AllAuthenticated), group(user.AllUnauthenticated)),
	}
	for i := range bindings {
		addDefaultMetadata(&bindings[i].ObjectMeta)
	}
	return bindings
}

// NamespaceRoles returns the default namespaced Roles.
func NamespaceRoles() []rbacv1.Role {
	roles := []rbacv1.Role{
		{
			// Extension apiservers read the client-CA and request-header
			// settings from this ConfigMap; only this one, hence the name.
			ObjectMeta: metav1.ObjectMeta{Namespace: SystemNamespace, Name: "extension-apiserver-authentication-reader"},
			Rules: []rbacv1.PolicyRule{
				namedResourceRule(read, legacyGroup, "configmaps", "extension-apiserver-authentication"),
			},
		},
	}
	for i := range roles {
		addDefaultMetadata(&roles[i].ObjectMeta)
	}
	return roles
}

// aggregated is a ClusterRole whose rules the aggregation controller fills
// from the ClusterRoles labelled selectLabel=true.
func aggregated(name, selectLabel string, labels map[string]string) rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		AggregationRule: &rbacv1.AggregationRule{
			ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{selectLabel: "true"}}},
		},
	}
}

func clusterRoleBinding(roleName string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: roleName},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName},
		Subjects:   subjects,
	}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

// addDefaultMetadata labels obj as part of the default policy and opts it
// in to reconciliation; a user opts out by setting the annotation to "false".
func addDefaultMetadata(obj *metav1.ObjectMeta) {
	if obj.Labels == nil {
		obj.Labels = map[string]string{}
	}
	obj.Labels[BootstrappingLabel] = BootstrappingValue
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	obj.Annotations[rbacv1.AutoUpdateAnnotationKey] = "true"
}
