// Package codegen runs the code generators an API package needs: deepcopy-gen
// (DeepCopyObject for runtime.Object) and openapi-gen (the OpenAPI
// definitions and model names the server publishes and server-side apply
// relies on). The generators run as `go tool` dependencies of the module
// that holds the project, so their versions are the ones its go.mod pins.
//
// API packages are found, not listed: every folder apis/<version> whose
// doc.go carries +k8s:deepcopy-gen=package. The OpenAPI definitions of all
// of them go into one package, apis/openapi. `go run ./hack/codegen` and
// `aggkit build executables` are both built on Generate.
package codegen
