package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ReferenceKind is a computed, read-only object: one for each kind a
// Flunder's spec.referenceType may name. It is not stored; the server
// answers get and list from the list in this package.
type ReferenceKind struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// ReferenceType is the referred kind, as written in a Flunder's
	// spec.referenceType.
	ReferenceType ReferenceType `json:"referenceType"`
	// Namespaced says whether the referred object is in the Flunder's
	// namespace (true) or cluster-wide (false).
	Namespaced bool `json:"namespaced"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ReferenceKindList is a list of ReferenceKinds.
type ReferenceKindList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []ReferenceKind `json:"items"`
}

// NewList makes a ReferenceKindList, for extension.WithComputedResource.
func (*ReferenceKind) NewList() runtime.Object { return &ReferenceKindList{} }

// ClusterScoped is true: reference kinds belong to no namespace.
func (*ReferenceKind) ClusterScoped() bool { return true }
