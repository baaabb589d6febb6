package defaults

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// SetDefaultsRole has nothing to default.
func SetDefaultsRole(obj *rbacv1.Role) {}

// SetDefaultsClusterRole has nothing to default.
func SetDefaultsClusterRole(obj *rbacv1.ClusterRole) {}

// SetDefaultsRoleBinding sets roleRef.apiGroup and the apiGroup of User and
// Group subjects to rbac.authorization.k8s.io when empty, as upstream.
func SetDefaultsRoleBinding(obj *rbacv1.RoleBinding) {
	defaultRoleRef(&obj.RoleRef)
	defaultSubjects(obj.Subjects)
}

// SetDefaultsClusterRoleBinding does the same as SetDefaultsRoleBinding.
func SetDefaultsClusterRoleBinding(obj *rbacv1.ClusterRoleBinding) {
	defaultRoleRef(&obj.RoleRef)
	defaultSubjects(obj.Subjects)
}

func defaultRoleRef(ref *rbacv1.RoleRef) {
	if ref.APIGroup == "" {
		ref.APIGroup = rbacv1.GroupName
	}
}

// defaultSubjects leaves ServiceAccount subjects in the core group.
func defaultSubjects(subjects []rbacv1.Subject) {
	for i := range subjects {
		s := &subjects[i]
		if s.APIGroup == "" && (s.Kind == rbacv1.UserKind || s.Kind == rbacv1.GroupKind) {
			s.APIGroup = rbacv1.GroupName
		}
	}
}
