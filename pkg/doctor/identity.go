package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The roles every extension server's ServiceAccount must be bound to.
const (
	authReaderRole    = "extension-apiserver-authentication-reader" // a Role in kube-system
	authDelegatorRole = "system:auth-delegator"                     // a ClusterRole
)

// serviceAccountRef names a ServiceAccount.
type serviceAccountRef struct {
	Namespace, Name string
}

func (r serviceAccountRef) String() string { return r.Namespace + "/" + r.Name }

// permission is one thing an extension server does with its own identity.
type permission struct {
	attrs authorizationv1.ResourceAttributes
	// what is said when it is missing, and which binding grants it.
	what    string
	binding string
}

var serverPermissions = []permission{
	{attrs: authorizationv1.ResourceAttributes{Namespace: authConfigMapNamespace, Verb: "get", Resource: "configmaps", Name: authConfigMapName},
		what: "get configmap " + authConfigMapNamespace + "/" + authConfigMapName, binding: authReaderRole},
	{attrs: authorizationv1.ResourceAttributes{Verb: "create", Group: "authentication.k8s.io", Resource: "tokenreviews"},
		what: "create tokenreviews", binding: authDelegatorRole},
	{attrs: authorizationv1.ResourceAttributes{Verb: "create", Group: "authorization.k8s.io", Resource: "subjectaccessreviews"},
		what: "create subjectaccessreviews", binding: authDelegatorRole},
}

// checkIdentity is link 7: the ServiceAccount the server runs as may read
// the authentication ConfigMap (to trust the aggregator and client
// certificates) and delegate authentication and authorization. Without the
// first, a server built on k8s.io/apiserver does not start; without the
// second, it cannot authenticate or authorize anyone but system:masters.
func (d *doctor) checkIdentity(ctx context.Context, t *target) Check {
	accounts, how := d.findServiceAccounts(ctx, t)
	if len(accounts) == 0 {
		return skip("cannot tell which ServiceAccount the server runs as (%s): pass --service-account NAMESPACE/NAME", how)
	}
	var fine []string
	for _, sa := range accounts {
		if c := d.checkServiceAccount(ctx, sa, how); c.Status != StatusOK {
			return c
		}
		fine = append(fine, sa.String())
	}
	return ok("ServiceAccount %s (%s) may get configmap %s/%s, create tokenreviews and subjectaccessreviews",
		strings.Join(fine, ", "), how, authConfigMapNamespace, authConfigMapName)
}

func (d *doctor) checkServiceAccount(ctx context.Context, sa serviceAccountRef, how string) Check {
	_, err := d.core.CoreV1().ServiceAccounts(sa.Namespace).Get(ctx, sa.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fail(fmt.Sprintf("ServiceAccount %s (%s) does not exist", sa, how),
			fmt.Sprintf("kubectl -n %s create serviceaccount %s, and run the server as it", sa.Namespace, sa.Name))
	}
	var missing []permission
	for _, p := range serverPermissions {
		allowed, err := d.allowed(ctx, sa, p.attrs)
		if err != nil {
			return skip("cannot ask whether ServiceAccount %s may %s: %v", sa, p.what, err)
		}
		if !allowed {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return ok("")
	}
	var whats, bindings, fixes []string
	for _, p := range missing {
		whats = append(whats, p.what)
		if !slices.Contains(bindings, p.binding) {
			bindings = append(bindings, p.binding)
			fixes = append(fixes, bindingManifest(sa, p.binding))
		}
	}
	var missingText []string
	for _, b := range bindings {
		if b == authReaderRole {
			missingText = append(missingText, "the RoleBinding in kube-system to Role "+authReaderRole)
		} else {
			missingText = append(missingText, "the ClusterRoleBinding to ClusterRole "+authDelegatorRole)
		}
	}
	return fail(fmt.Sprintf("ServiceAccount %s (%s) may not %s: %s missing", sa, how, strings.Join(whats, ", "),
		strings.Join(missingText, " and ")+isOrAre(len(missingText))),
		"apply\n"+strings.Join(fixes, "\n---\n"))
}

func isOrAre(n int) string {
	if n == 1 {
		return " is"
	}
	return " are"
}

// allowed asks the control plane by SubjectAccessReview, with the groups
// every ServiceAccount token carries.
func (d *doctor) allowed(ctx context.Context, sa serviceAccountRef, attrs authorizationv1.ResourceAttributes) (bool, error) {
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               "system:serviceaccount:" + sa.Namespace + ":" + sa.Name,
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.Namespace, "system:authenticated"},
		ResourceAttributes: &attrs,
	}}
	got, err := d.core.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return got.Status.Allowed, nil
}

// bindingManifest is the RBAC object that grants role to sa, named as
// `aggkit build config` names it.
func bindingManifest(sa serviceAccountRef, role string) string {
	if role == authReaderRole {
		return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: %s-auth-reader, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: %s}
subjects: [{kind: ServiceAccount, name: %s, namespace: %s}]`, sa.Namespace, authReaderRole, sa.Name, sa.Namespace)
	}
	return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "%s:%s"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "%s"}
subjects: [{kind: ServiceAccount, name: %s, namespace: %s}]`, sa.Namespace, authDelegatorRole, authDelegatorRole, sa.Name, sa.Namespace)
}

// findServiceAccounts finds the ServiceAccount the server runs as, and says
// how: the option; the pods or Deployments the Service selects, where the
// cluster serves them; the ServiceAccounts of the Service's namespace bound
// to either role; the only ServiceAccount there besides default.
func (d *doctor) findServiceAccounts(ctx context.Context, t *target) ([]serviceAccountRef, string) {
	if d.opts.serviceAccount != nil {
		return []serviceAccountRef{*d.opts.serviceAccount}, "given by --service-account"
	}
	namespace := t.apiService.Spec.Service.Namespace
	if t.service != nil && len(t.service.Spec.Selector) > 0 {
		if found := d.accountsOfSelectedWorkloads(ctx, namespace, t.service.Spec.Selector); len(found) > 0 {
			return found, "from the pods the Service selects"
		}
	}
	if found := d.accountsBoundToServerRoles(ctx, namespace); len(found) > 0 {
		return found, fmt.Sprintf("bound to %s or %s", authReaderRole, authDelegatorRole)
	}
	list, err := d.core.CoreV1().ServiceAccounts(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Sprintf("cannot list ServiceAccounts in %q: %v", namespace, err)
	}
	var names []string
	for _, sa := range list.Items {
		if sa.Name != "default" {
			names = append(names, sa.Name)
		}
	}
	if len(names) == 1 {
		return []serviceAccountRef{{namespace, names[0]}}, fmt.Sprintf("the only ServiceAccount in %q besides default", namespace)
	}
	return nil, fmt.Sprintf("no pods to look at, no ServiceAccount of %q bound to the server roles, and %d others there",
		namespace, len(names))
}

// accountsOfSelectedWorkloads reads serviceAccountName from the selected
// pods, else from Deployments whose pod template the selector matches.
// Clusters (such as a bare aggkit serve) that serve neither give nothing.
func (d *doctor) accountsOfSelectedWorkloads(ctx context.Context, namespace string, selector map[string]string) []serviceAccountRef {
	var found []serviceAccountRef
	add := func(name string) {
		if name == "" {
			name = "default"
		}
		ref := serviceAccountRef{namespace, name}
		if !slices.Contains(found, ref) {
			found = append(found, ref)
		}
	}
	sel := labels.SelectorFromSet(selector)
	if pods, err := d.core.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()}); err == nil {
		for _, p := range pods.Items {
			add(p.Spec.ServiceAccountName)
		}
	}
	if len(found) > 0 {
		return found
	}
	if deployments, err := d.core.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{}); err == nil {
		for _, dep := range deployments.Items {
			if sel.Matches(labels.Set(dep.Spec.Template.Labels)) {
				add(dep.Spec.Template.Spec.ServiceAccountName)
			}
		}
	}
	return found
}

// accountsBoundToServerRoles lists ServiceAccounts of namespace that are
// subjects of a binding to either server role: whoever set up one binding
// meant that account, and the other may be what is missing.
func (d *doctor) accountsBoundToServerRoles(ctx context.Context, namespace string) []serviceAccountRef {
	var found []serviceAccountRef
	add := func(kind, name, ns string) {
		ref := serviceAccountRef{ns, name}
		if kind == "ServiceAccount" && ns == namespace && !slices.Contains(found, ref) {
			found = append(found, ref)
		}
	}
	if rbs, err := d.core.RbacV1().RoleBindings(authConfigMapNamespace).List(ctx, metav1.ListOptions{}); err == nil {
		for _, rb := range rbs.Items {
			if rb.RoleRef.Kind == "Role" && rb.RoleRef.Name == authReaderRole {
				for _, s := range rb.Subjects {
					add(s.Kind, s.Name, s.Namespace)
				}
			}
		}
	}
	if crbs, err := d.core.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{}); err == nil {
		for _, crb := range crbs.Items {
			if crb.RoleRef.Kind == "ClusterRole" && crb.RoleRef.Name == authDelegatorRole {
				for _, s := range crb.Subjects {
					add(s.Kind, s.Name, s.Namespace)
				}
			}
		}
	}
	slices.SortFunc(found, func(a, b serviceAccountRef) int { return strings.Compare(a.Name, b.Name) })
	return found
}
