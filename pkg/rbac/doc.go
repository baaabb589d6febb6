// Package rbac is the RBAC authorizer of aggkit serve.
//
// It resolves the PolicyRules that apply to a user from Roles, RoleBindings,
// ClusterRoles and ClusterRoleBindings (Resolver) and matches a request
// against them (RuleAllows). Authorizer turns that into an
// authorizer.Authorizer and authorizer.RuleResolver with the same decisions
// and reasons as kube-apiserver's RBAC mode: Allow when a rule matches,
// NoOpinion otherwise, never Deny.
//
// Related packages: escalation guards writes to RBAC objects, bootstrap holds
// the default policy, aggregation keeps aggregated ClusterRoles filled.
//
// Wiring into a generic apiserver, in order:
//
//	resolver := rbac.NewResolverFromInformers(informerFactory.Rbac().V1())
//	authz := rbac.New(resolver)
//	// Authorization: system:masters first (it must work before RBAC's caches
//	// fill and when RBAC objects are broken), then RBAC.
//	cfg.Authorization.Authorizer, _ = union.New(
//		union.NamedAuthorizer{AuthorizerName: "privileged", Authorizer: authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)},
//		union.NamedAuthorizer{AuthorizerName: "rbac", Authorizer: authz})
//	cfg.RuleResolver = union.NewRuleResolvers(authz)
//	// Storage: wrap the four RBAC stores.
//	storage["roles"] = escalation.NewRoleStorage(rolesStore, resolver, cfg.Authorization.Authorizer)
//	// ...NewClusterRoleStorage, NewRoleBindingStorage, NewClusterRoleBindingStorage likewise.
//	// Post-start hooks: start the informers, poll bootstrap.Ensure until it
//	// returns nil, and run aggregation.NewController(...).Run(ctx, 1).
package rbac
