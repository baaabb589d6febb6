package rbac

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
)

// bindingSource names the binding and subject a rule came from. Its String
// form is what the authorizer puts in its reason, in kube-apiserver's words:
//
//	RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "admin" to Group "ops"
//	RBAC: allowed by RoleBinding "dev/team-a" of Role "dev" to ServiceAccount "ci/team-a"
type bindingSource struct {
	kind      string // "ClusterRoleBinding" or "RoleBinding"
	name      string
	namespace string
	roleRef   rbacv1.RoleRef
	subject   rbacv1.Subject
}

func (s bindingSource) String() string {
	name := s.name
	if s.namespace != "" {
		name += "/" + s.namespace
	}
	return fmt.Sprintf("%s %q of %s %q to %s", s.kind, name, s.roleRef.Kind, s.roleRef.Name, describeSubject(s.subject, s.namespace))
}

func describeSubject(s rbacv1.Subject, bindingNamespace string) string {
	if s.Kind != rbacv1.ServiceAccountKind {
		return fmt.Sprintf("%s %q", s.Kind, s.Name)
	}
	ns := s.Namespace
	if ns == "" {
		ns = bindingNamespace
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name+"/"+ns)
}
