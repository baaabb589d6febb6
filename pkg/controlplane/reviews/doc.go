// Package reviews serves the create-only "review" APIs of the built-in
// control plane: authentication.k8s.io/v1 TokenReview and SelfSubjectReview,
// and authorization.k8s.io/v1 SubjectAccessReview, LocalSubjectAccessReview,
// SelfSubjectAccessReview and SelfSubjectRulesReview.
//
// Each storage is a pure handler: Create asks the server's authenticator,
// authorizer or rule resolver and returns the answer in status; nothing is
// stored. Construct them with the server's own authn/authz and install the
// maps from AuthenticationStorage and AuthorizationStorage in the two API
// groups. The scheme must know each group's v1 types a second time as
// <group>/__internal, because the API installer decodes request bodies to
// that hub version (pkg/controlplane's scheme does this).
package reviews
