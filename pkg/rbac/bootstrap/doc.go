// Package bootstrap holds aggkit's default RBAC policy and writes it.
//
// The policy is a subset of kube-apiserver's bootstrap policy, cut down to
// the resources aggkit serve serves: the cluster-admin, admin, edit and view
// ClusterRoles (the last three aggregated from system:aggregate-to-*), the
// discovery, basic-user, public-info-viewer and auth-delegator roles, and the
// kube-system Role that lets extension apiservers read their authentication
// configuration. Objects carry the same labels and annotations as upstream,
// so tools that look for them behave the same.
//
// Ensure reconciles the policy into a cluster the way kube-apiserver's
// post-start hook does: it creates what is missing and adds missing rules
// and subjects to objects annotated for auto-update, never removing what
// users added.
package bootstrap
