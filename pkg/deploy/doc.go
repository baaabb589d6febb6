// Package deploy makes and applies the Kubernetes objects that register an
// extension API server behind the aggregation layer.
//
// Objects builds everything a real cluster needs (Namespace, ServiceAccount,
// the RBAC bound to that ServiceAccount, the serving certificate's Secret,
// the Deployment with its PodDisruptionBudget, the Service and one
// APIService per version carrying the caBundle); WriteYAML writes them as
// plain manifests kustomize takes as is. LocalObjects registers a server
// that runs outside the cluster, at an address the control plane can dial.
// Apply sends objects with server-side apply and WaitAvailable waits until
// the APIServices answer.
package deploy
