package escalation

import (
	"context"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// Resources guarded by this package.
var (
	rolesResource               = rbacv1.SchemeGroupVersion.WithResource("roles").GroupResource()
	clusterRolesResource        = rbacv1.SchemeGroupVersion.WithResource("clusterroles").GroupResource()
	roleBindingsResource        = rbacv1.SchemeGroupVersion.WithResource("rolebindings").GroupResource()
	clusterRoleBindingsResource = rbacv1.SchemeGroupVersion.WithResource("clusterrolebindings").GroupResource()
)

// isPrivileged reports whether the user on ctx is in system:masters, whose
// members hold every permission and so cannot escalate.
func isPrivileged(ctx context.Context) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	for _, g := range u.GetGroups() {
		if g == user.SystemPrivilegedGroup {
			return true
		}
	}
	return false
}

// escalateAuthorized reports whether the user may "escalate" on the role
// resource this request is for. Like kube-apiserver it asks with the request's
// name and namespace, so a create (which has no name in its URL) is only
// covered by an escalate grant without resourceNames.
func escalateAuthorized(ctx context.Context, authz authorizer.Authorizer, resource schema.GroupResource) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok || authz == nil {
		return false
	}
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok || !info.IsResourceRequest {
		return false
	}
	return allowed(ctx, authz, authorizer.AttributesRecord{
		User:            u,
		Verb:            "escalate",
		APIGroup:        resource.Group,
		APIVersion:      "*",
		Resource:        resource.Resource,
		Name:            info.Name,
		Namespace:       info.Namespace,
		ResourceRequest: true,
	})
}

// bindAuthorized reports whether the user may "bind" the role roleRef names
// in bindingNamespace ("" for ClusterRoleBindings). Asking in the binding's
// namespace lets a grant of bind on a ClusterRole be limited to a namespace.
func bindAuthorized(ctx context.Context, authz authorizer.Authorizer, roleRef rbacv1.RoleRef, bindingNamespace string) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok || authz == nil {
		return false
	}
	attrs := authorizer.AttributesRecord{
		User:            u,
		Verb:            "bind",
		APIGroup:        roleRef.APIGroup,
		Name:            roleRef.Name,
		Namespace:       bindingNamespace,
		ResourceRequest: true,
	}
	switch roleRef.Kind {
	case "ClusterRole":
		attrs.Resource = clusterRolesResource.Resource
	case "Role":
		attrs.Resource = rolesResource.Resource
	default:
		return false
	}
	return allowed(ctx, authz, attrs)
}

func allowed(ctx context.Context, authz authorizer.Authorizer, attrs authorizer.AttributesRecord) bool {
	decision, _, err := authz.Authorize(ctx, attrs)
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Authorization check for RBAC escalation failed", "verb", attrs.Verb, "resource", attrs.Resource, "name", attrs.Name)
	}
	return decision == authorizer.DecisionAllow
}
