// Package escalation stops users from granting RBAC permissions they do not
// hold, as kube-apiserver does.
//
// A Role or ClusterRole may be created or updated only by a user who already
// holds every rule it grants, or who may "escalate" on roles/clusterroles. A
// RoleBinding or ClusterRoleBinding may be created or updated only by a user
// who holds every rule of the role it references, or who may "bind" that role
// (by name). Members of system:masters are never checked.
//
// The checks are storage wrappers (NewRoleStorage and friends): each embeds
// the generic registry store, so list, watch, delete and table output are the
// store's own, and overrides Create and Update. Update checks the object that
// results from applying the update, so patches and server-side apply are
// covered too.
package escalation
