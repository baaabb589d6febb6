package bootstrap

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
	"k8s.io/klog/v2"
)

// Ensure writes the default policy through client, once. Missing objects are
// created (kube-system too, if needed). Existing objects annotated
// rbac.authorization.kubernetes.io/autoupdate=true gain the rules, aggregation
// selectors, subjects, labels and annotations they lack; nothing is removed.
// Objects annotated "false" are left alone. A binding whose roleRef differs is
// recreated, since roleRef cannot be updated.
//
// Ensure returns the errors of all objects it could not reconcile; retrying is
// the caller's job (a post-start hook typically polls it until nil).
func Ensure(ctx context.Context, client kubernetes.Interface) error {
	logger := klog.FromContext(ctx)
	var errs []error
	for _, role := range ClusterRoles() {
		opts := reconciliation.ReconcileRoleOptions{
			Role:    reconciliation.ClusterRoleRuleOwner{ClusterRole: &role},
			Client:  clusterRoleClient{ctx: ctx, client: client},
			Confirm: true,
		}
		result, err := opts.Run()
		errs = append(errs, report(logger, "ClusterRole", role.Name, err, resultOp(result, err)))
	}
	for _, binding := range ClusterRoleBindings() {
		opts := reconciliation.ReconcileRoleBindingOptions{
			RoleBinding: reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: &binding},
			Client:      clusterRoleBindingClient{ctx: ctx, client: client},
			Confirm:     true,
		}
		result, err := opts.Run()
		errs = append(errs, report(logger, "ClusterRoleBinding", binding.Name, err, bindingResultOp(result, err)))
	}
	for _, role := range NamespaceRoles() {
		opts := reconciliation.ReconcileRoleOptions{
			Role:    reconciliation.RoleRuleOwner{Role: &role},
			Client:  roleClient{ctx: ctx, client: client},
			Confirm: true,
		}
		result, err := opts.Run()
		errs = append(errs, report(logger, "Role", role.Namespace+"/"+role.Name, err, resultOp(result, err)))
	}
	return errors.Join(errs...)
}

// operation is what reconciliation did to one object.
type operation struct {
	op        reconciliation.ReconcileOperation
	protected bool
}

func resultOp(r *reconciliation.ReconcileClusterRoleResult, err error) operation {
	if err != nil || r == nil {
		return operation{}
	}
	return operation{op: r.Operation, protected: r.Protected}
}

func bindingResultOp(r *reconciliation.ReconcileClusterRoleBindingResult, err error) operation {
	if err != nil || r == nil {
		return operation{}
	}
	return operation{op: r.Operation, protected: r.Protected}
}

func report(logger klog.Logger, kind, name string, err error, op operation) error {
	switch {
	case err != nil:
		return fmt.Errorf("reconcile %s %s: %w", kind, name, err)
	case op.protected && op.op != reconciliation.ReconcileNone:
		logger.Info("Bootstrap RBAC object differs from the default but is not auto-updated", "kind", kind, "name", name)
	case op.op != reconciliation.ReconcileNone:
		logger.V(2).Info("Reconciled bootstrap RBAC object", "kind", kind, "name", name, "operation", op.op)
	}
	return nil
}

// clusterRoleClient is reconciliation.ClusterRoleModifier with a context.
type clusterRoleClient struct {
	ctx    context.Context
	client kubernetes.Interface
}

func (c clusterRoleClient) Get(_, name string) (reconciliation.RuleOwner, error) {
	got, err := c.client.RbacV1().ClusterRoles().Get(c.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.ClusterRoleRuleOwner{ClusterRole: got}, nil
}

func (c clusterRoleClient) Create(in reconciliation.RuleOwner) (reconciliation.RuleOwner, error) {
	got, err := c.client.RbacV1().ClusterRoles().Create(c.ctx, in.GetObject().(*rbacv1.ClusterRole), metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.ClusterRoleRuleOwner{ClusterRole: got}, nil
}

func (c clusterRoleClient) Update(in reconciliation.RuleOwner) (reconciliation.RuleOwner, error) {
	got, err := c.client.RbacV1().ClusterRoles().Update(c.ctx, in.GetObject().(*rbacv1.ClusterRole), metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.ClusterRoleRuleOwner{ClusterRole: got}, nil
}

// roleClient is reconciliation.RoleModifier with a context.
type roleClient struct {
	ctx    context.Context
	client kubernetes.Interface
}

func (c roleClient) Get(namespace, name string) (reconciliation.RuleOwner, error) {
	got, err := c.client.RbacV1().Roles(namespace).Get(c.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.RoleRuleOwner{Role: got}, nil
}

func (c roleClient) Create(in reconciliation.RuleOwner) (reconciliation.RuleOwner, error) {
	if err := ensureNamespace(c.ctx, c.client, in.GetNamespace()); err != nil {
		return nil, err
	}
	got, err := c.client.RbacV1().Roles(in.GetNamespace()).Create(c.ctx, in.GetObject().(*rbacv1.Role), metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.RoleRuleOwner{Role: got}, nil
}

func (c roleClient) Update(in reconciliation.RuleOwner) (reconciliation.RuleOwner, error) {
	got, err := c.client.RbacV1().Roles(in.GetNamespace()).Update(c.ctx, in.GetObject().(*rbacv1.Role), metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.RoleRuleOwner{Role: got}, nil
}

// clusterRoleBindingClient is reconciliation.ClusterRoleBindingClientAdapter
// with a context.
type clusterRoleBindingClient struct {
	ctx    context.Context
	client kubernetes.Interface
}

func (c clusterRoleBindingClient) Get(_, name string) (reconciliation.RoleBinding, error) {
	got, err := c.client.RbacV1().ClusterRoleBindings().Get(c.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: got}, nil
}

func (c clusterRoleBindingClient) Create(in reconciliation.RoleBinding) (reconciliation.RoleBinding, error) {
	got, err := c.client.RbacV1().ClusterRoleBindings().Create(c.ctx, in.GetObject().(*rbacv1.ClusterRoleBinding), metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: got}, nil
}

func (c clusterRoleBindingClient) Update(in reconciliation.RoleBinding) (reconciliation.RoleBinding, error) {
	got, err := c.client.RbacV1().ClusterRoleBindings().Update(c.ctx, in.GetObject().(*rbacv1.ClusterRoleBinding), metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	return reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: got}, nil
}

func (c clusterRoleBindingClient) Delete(_, name string, uid types.UID) error {
	return c.client.RbacV1().ClusterRoleBindings().Delete(c.ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
}

// ensureNamespace creates namespace if it does not exist yet.
func ensureNamespace(ctx context.Context, client kubernetes.Interface, namespace string) error {
	_, err := client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("get namespace %s: %w", namespace, err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	return nil
}
