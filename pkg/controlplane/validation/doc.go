// Package validation checks the Kubernetes objects that the built-in control
// plane of `aggkit serve` stores.
//
// kube-apiserver keeps its validation in k8s.io/kubernetes, written against
// internal types that cannot be imported. aggkit serves the external v1 Go types
// from k8s.io/api directly, so this package re-implements the rules that
// matter to clients on those v1 types, keeping kube-apiserver's field paths,
// error types and (where reasonable) messages so that kubectl and client error
// handling behave the same.
//
// Every kind has a pair of functions:
//
//	Validate<Kind>(obj) field.ErrorList
//	Validate<Kind>Update(obj, old) field.ErrorList
//
// which pkg/controlplane binds to the kind's resource with kind(...), so a
// kind cannot be served without them. Objects are expected to have been
// defaulted (package defaults) first, as kube-apiserver does on decode: fields
// that upstream always defaults (service type, port protocol, ...) are
// required here just as they are upstream.
//
// Deliberate differences from kube-apiserver:
//   - Endpoint and EndpointSlice addresses may be loopback (127.0.0.0/8, ::1),
//     since local runs put every backend on 127.0.0.1.
//   - Admission policies are checked structurally only; CEL expressions are not
//     compiled.
//   - No checks that need cluster state (allocators, node existence, the
//     mandatory flowcontrol objects, RBAC escalation).
package validation
