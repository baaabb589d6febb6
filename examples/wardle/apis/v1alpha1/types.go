package v1alpha1

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
	// Reference is the name of the referred object.
	Reference string `json:"reference,omitempty"`
	// ReferenceType is the kind of the referred object: Flunder or Fischer.
	ReferenceType *ReferenceType `json:"referenceType,omitempty"`
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

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Fischer is a cluster-wide object naming Flunders that may not be created.
type Fischer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// DisallowedFlunders are names no Flunder may have.
	// +listType=atomic
	DisallowedFlunders []string `json:"disallowedFlunders,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// FischerList is a list of Fischers.
type FischerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Fischer `json:"items"`
}

// NewList makes a FlunderList, for extension.WithResource.
func (*Flunder) NewList() runtime.Object { return &FlunderList{} }

// NewList makes a FischerList, for extension.WithResource.
func (*Fischer) NewList() runtime.Object { return &FischerList{} }

// ClusterScoped makes Fischers cluster-wide.
func (*Fischer) ClusterScoped() bool { return true }

// ShortNames lets `kubectl get fi` list Fischers.
func (*Fischer) ShortNames() []string { return []string{"fi"} }
