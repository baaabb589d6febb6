// Package openapi holds the OpenAPI definitions of every type the built-in
// control plane serves, for pkg/controlplane and for the aggregator's tests
// that stand up a server of the same types. They are generated from k8s.io/api and
// kube-aggregator's types because k8s.io/apiserver builds the server-side
// apply type converter and /openapi/v2, /openapi/v3 from them; without them
// kubectl explain and apply would not work. Lazy serves the server's own
// /openapi/v2 and /openapi/v3, built on first request.
//
// Regenerate after bumping k8s.io/* with: go generate ./pkg/openapi
package openapi

//go:generate go tool openapi-gen --go-header-file ../../hack/boilerplate.go.txt --output-dir . --output-pkg github.com/aggkit/aggkit/pkg/openapi --output-file zz_generated.openapi.go --report-filename /dev/null --readonly-pkg k8s.io/api/core/v1,k8s.io/api/rbac/v1,k8s.io/api/coordination/v1,k8s.io/api/discovery/v1,k8s.io/api/admissionregistration/v1,k8s.io/api/flowcontrol/v1,k8s.io/api/authentication/v1,k8s.io/api/authorization/v1,k8s.io/api/autoscaling/v1,k8s.io/apimachinery/pkg/apis/meta/v1,k8s.io/apimachinery/pkg/runtime,k8s.io/apimachinery/pkg/util/intstr,k8s.io/apimachinery/pkg/api/resource,k8s.io/apimachinery/pkg/version,k8s.io/kube-aggregator/pkg/apis/apiregistration/v1 k8s.io/api/core/v1 k8s.io/api/rbac/v1 k8s.io/api/coordination/v1 k8s.io/api/discovery/v1 k8s.io/api/admissionregistration/v1 k8s.io/api/flowcontrol/v1 k8s.io/api/authentication/v1 k8s.io/api/authorization/v1 k8s.io/api/autoscaling/v1 k8s.io/apimachinery/pkg/apis/meta/v1 k8s.io/apimachinery/pkg/runtime k8s.io/apimachinery/pkg/util/intstr k8s.io/apimachinery/pkg/api/resource k8s.io/apimachinery/pkg/version k8s.io/kube-aggregator/pkg/apis/apiregistration/v1
