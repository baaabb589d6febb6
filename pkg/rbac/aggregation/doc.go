// Package aggregation runs the ClusterRole aggregation controller: every
// ClusterRole with an aggregationRule gets, as its rules, the union of the
// rules of the ClusterRoles its label selectors match, as kube-controller-
// manager's clusterrole-aggregation controller does. This is what fills the
// bootstrap admin, edit and view roles.
package aggregation
