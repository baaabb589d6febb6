// Package v1alpha1 is version v1alpha1 of wardle.example.com, wire-compatible
// with k8s.io/sample-apiserver's: Flunder (converted through the v1beta1
// hub) and Fischer (served in this version only). It is the storage version.
//
// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +groupName=wardle.example.com
// +k8s:openapi-model-package=com.example.wardle.v1alpha1
package v1alpha1
