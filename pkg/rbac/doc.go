// Package rbac is the RBAC authorizer of aggkit serve.
//
// It resolves the PolicyRules that apply to a user from Roles, RoleBindings,
// ClusterRoles and ClusterRoleBindings (RuleResolver) and matches a request
// against them (RuleAllows). Authorizer turns that into an
// authorizer.Authorizer and authorizer.RuleResolver with the same decisions
// and reasons as kube-apiserver's RBAC mode: Allow when a rule matches,
// NoOpinion otherwise, never Deny.
//
// Related packages: escalation guards writes to RBAC objects, bootstrap holds
// the default policy, aggregation keeps aggregated ClusterRoles filled.
package rbac
