// Package extension writes a Kubernetes extension API server from Go types.
//
//	extension.New("wardle.example.com").
//		WithResource(&v1alpha1.Flunder{}).
//		WithResource(&v1beta1.Flunder{}).
//		WithResource(&v1alpha1.Fischer{}).
//		WithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions).
//		WithAdmission(admitFlunder).
//		Execute()
//
// gives a complete server over k8s.io/apiserver: discovery, OpenAPI v2 and
// v3, table output, watch, server-side apply, /healthz /livez /readyz,
// /metrics, delegated authentication (client certificates and the
// aggregator's request headers, trusted from
// kube-system/extension-apiserver-authentication) and delegated
// authorization (SubjectAccessReview, cached).
//
// A type's behaviour comes from small optional interfaces it implements:
// ClusterScoped, Defaulter, CreateValidator, UpdateValidator,
// StatusSubresource, ScaleSubresource, Printer, FieldSelectable, ShortNamer, Categorized,
// ResourceNamer. Several versions of a kind convert through the one marked
// Hub (the others implement Convertible); the hub also stands in for the
// internal version k8s.io/apiserver works in, so no internal types are
// written. These interfaces are aggkit's own: when upstream signatures change
// (as AllowCreateOnUpdate(ctx) did) the adapters here change, not user code.
//
// Storage is an embedded etcd in --data-dir by default, an etcd cluster with
// --etcd-servers, or a throw-away embedded etcd with --in-memory; a server
// whose resources are all computed (WithComputedResource) needs none.
package extension
