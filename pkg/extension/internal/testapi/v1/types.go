package v1

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aggkit/aggkit/pkg/extension"
)

// WidgetSpec is the desired state of a Widget.
type WidgetSpec struct {
	// Color of the widget; defaults to "blue".
	Color string `json:"color,omitempty"`
	// Size must not be negative.
	Size int32 `json:"size,omitempty"`
	// Replicas is the desired count, changed through /scale.
	Replicas int32 `json:"replicas,omitempty"`
}

// WidgetStatus is the observed state of a Widget.
type WidgetStatus struct {
	// Ready is set by a controller.
	Ready bool `json:"ready,omitempty"`
	// Replicas is the observed count, reported by /scale.
	Replicas int32 `json:"replicas,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Widget is a stored, namespaced test resource.
type Widget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WidgetSpec   `json:"spec,omitempty"`
	Status WidgetStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// WidgetList is a list of Widgets.
type WidgetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Widget `json:"items"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Gauge is a computed, cluster-scoped test resource.
type Gauge struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Value is the current reading.
	Value int64 `json:"value"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// GaugeList is a list of Gauges.
type GaugeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Gauge `json:"items"`
}

var (
	_ extension.Defaulter         = &Widget{}
	_ extension.CreateValidator   = &Widget{}
	_ extension.UpdateValidator   = &Widget{}
	_ extension.StatusSubresource = &Widget{}
	_ extension.Printer           = &Widget{}
	_ extension.FieldSelectable   = &Widget{}
	_ extension.ScaleSubresource  = &Widget{}
	_ extension.ClusterScoped     = &Gauge{}
)

// NewList makes a WidgetList.
func (*Widget) NewList() runtime.Object { return &WidgetList{} }

// Default sets the color.
func (w *Widget) Default() {
	if w.Spec.Color == "" {
		w.Spec.Color = "blue"
	}
}

// ValidateCreate refuses negative sizes.
func (w *Widget) ValidateCreate(context.Context) field.ErrorList {
	if w.Spec.Size < 0 {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "size"), w.Spec.Size, "must not be negative")}
	}
	return nil
}

// ValidateUpdate also makes the color immutable.
func (w *Widget) ValidateUpdate(ctx context.Context, old runtime.Object) field.ErrorList {
	errs := w.ValidateCreate(ctx)
	if o := old.(*Widget); o.Spec.Color != w.Spec.Color {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "color"), "is immutable"))
	}
	return errs
}

// CopyStatusTo gives Widgets a /status subresource.
func (w *Widget) CopyStatusTo(dst runtime.Object) { dst.(*Widget).Status = w.Status }

// PrinterColumns shows color and size.
func (w *Widget) PrinterColumns() []extension.PrinterColumn {
	return []extension.PrinterColumn{
		{Name: "Color", Type: "string", Value: w.Spec.Color},
		{Name: "Size", Type: "integer", Value: int64(w.Spec.Size)},
	}
}

// SelectableFields allows selecting by color.
func (w *Widget) SelectableFields() map[string]string {
	return map[string]string{"spec.color": w.Spec.Color}
}

// NewList makes a GaugeList.
func (*Gauge) NewList() runtime.Object { return &GaugeList{} }

// ClusterScoped makes Gauges cluster-wide.
func (*Gauge) ClusterScoped() bool { return true }

// ScaleReplicas gives Widgets a /scale subresource over spec.replicas and
// status.replicas.
func (w *Widget) ScaleReplicas() (spec, status int32, selector string) {
	return w.Spec.Replicas, w.Status.Replicas, "app=" + w.Name
}

// SetSpecReplicas is what a /scale update changes.
func (w *Widget) SetSpecReplicas(n int32) { w.Spec.Replicas = n }
