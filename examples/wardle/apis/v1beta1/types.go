package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ReferenceType says what a Flunder refers to.
type ReferenceType string

// The kinds a Flunder may refer to.
const (
	FlunderReferenceType = ReferenceType("Flunder")
	FischerReferenceType = ReferenceType("Fischer")
)

// FlunderSpec is what a Flunder should be.
type FlunderSpec struct {
	// FlunderReference is the name of a referred Flunder; set only with
	// referenceType Flunder.
	FlunderReference string `json:"flunderReference,omitempty"`
	// FischerReference is the name of a referred Fischer; set only with
	// referenceType Fischer.
	FischerReference string `json:"fischerReference,omitempty"`
	// ReferenceType is the kind of the referred object: Flunder or Fischer.
	ReferenceType ReferenceType `json:"referenceType,omitempty"`
}

// FlunderStatus is what a Flunder is.
type FlunderStatus struct {
	// Phase is a free-form state written by controllers.
	Phase string `json:"phase,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Flunder is a namespaced object that may refer to another Flunder or a
// Fischer.
type Flunder struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   FlunderSpec   `json:"spec,omitempty"`
	Status FlunderStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FlunderList is a list of Flunders.
type FlunderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Flunder `json:"items"`
}

// NewList makes a FlunderList, for extension.WithResource.
func (*Flunder) NewList() runtime.Object { return &FlunderList{} }
