// Package v1beta1 is version v1beta1 of wardle.example.com, wire-compatible
// with k8s.io/sample-apiserver's. Its Flunder is the hub every other Flunder
// version converts through, and where validation and printing live.
//
// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +groupName=wardle.example.com
// +k8s:openapi-model-package=com.example.wardle.v1beta1
package v1beta1
