package extension

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Object is what WithResource accepts: a Kubernetes object (TypeMeta and
// ObjectMeta embedded, deep-copy generated) that can make its own list type.
// Its kind is the Go type name and its version the last element of its
// package path (".../apis/v1alpha1"), the layout kubebuilder and
// sample-apiserver use.
type Object interface {
	runtime.Object
	metav1.Object
	// NewList returns an empty list of this type, e.g. &FlunderList{}.
	NewList() runtime.Object
}

// Hub marks the version of a kind that every other version converts through
// (controller-runtime's conversion.Hub). The server keeps and validates
// objects in this version. A kind served in one version needs no Hub.
type Hub interface {
	Object
	Hub()
}

// Convertible is implemented by every non-hub version of a kind. Conversions
// set everything except TypeMeta, which the server fills in.
type Convertible interface {
	Object
	// ConvertTo copies this object into the hub.
	ConvertTo(hub Hub) error
	// ConvertFrom fills this object from the hub.
	ConvertFrom(hub Hub) error
}

// ClusterScoped makes a resource cluster-wide (like nodes) instead of
// namespaced (the default). Implement it returning true.
type ClusterScoped interface {
	ClusterScoped() bool
}

// Defaulter sets defaults on an object of its own version as the server
// decodes it; kubectl then sees defaulted fields in every response.
type Defaulter interface {
	Default()
}

// CreateValidator checks a new object (on the hub type). Field errors become a
// 422 Invalid response that kubectl prints field by field.
type CreateValidator interface {
	ValidateCreate(ctx context.Context) field.ErrorList
}

// UpdateValidator checks an updated object against its previous state (on the
// hub type), e.g. to make a field immutable.
type UpdateValidator interface {
	ValidateUpdate(ctx context.Context, old runtime.Object) field.ErrorList
}

// StatusSubresource serves /status (kubectl's --subresource=status): updates
// of the main resource keep the stored status, updates of /status keep
// everything but the status. Implement it on the hub type by copying the
// Status field: dst.(*Flunder).Status = f.Status.
type StatusSubresource interface {
	CopyStatusTo(dst runtime.Object)
}

// ScaleSubresource serves /scale as an autoscaling/v1 Scale, so that
// `kubectl scale` and HorizontalPodAutoscalers can set the desired replicas
// (conventionally spec.replicas) and read the observed ones
// (status.replicas). Implement it on the hub type. A /scale update changes
// only what SetSpecReplicas sets; it runs the kind's update validation and
// honours the Scale's resourceVersion as a precondition.
type ScaleSubresource interface {
	// ScaleReplicas returns the desired and observed replicas and the label
	// selector, in string form, of what is counted (may be empty).
	ScaleReplicas() (spec, status int32, selector string)
	// SetSpecReplicas sets the desired replicas.
	SetSpecReplicas(replicas int32)
}

// PrinterColumn is one column of `kubectl get` output, between NAME and AGE.
type PrinterColumn struct {
	// Name is the column header.
	Name string
	// Type is an OpenAPI type: string, integer, number, boolean or date.
	Type string
	// Description is shown by clients that describe columns.
	Description string
	// Priority 0 is shown by default; higher priorities only with -o wide.
	Priority int32
	// Value is the cell for the receiver object.
	Value any
}

// Printer gives `kubectl get` columns beyond NAME and AGE. Implement it on
// the hub type; the server calls it on an empty object for the headers and
// on each object for the cells.
type Printer interface {
	PrinterColumns() []PrinterColumn
}

// FieldSelectable lets clients filter lists and watches with
// --field-selector on fields other than metadata.name and
// metadata.namespace, which always work. Implement it on the hub type; the
// keys must not depend on the receiver's values.
type FieldSelectable interface {
	SelectableFields() map[string]string
}

// ShortNamer gives the resource short names (`kubectl get fl`), published in
// discovery.
type ShortNamer interface {
	ShortNames() []string
}

// Categorized puts the resource in discovery categories (`kubectl get all`).
type Categorized interface {
	Categories() []string
}

// ResourceNamer overrides the plural resource name, which is otherwise the
// lower-case kind with an English plural ending.
type ResourceNamer interface {
	ResourceName() string
}
