package v1alpha1

import (
	"fmt"

	"github.com/aggkit/aggkit/examples/wardle/apis/v1beta1"
	"github.com/aggkit/aggkit/pkg/extension"
)

var (
	_ extension.Convertible = &Flunder{}
	_ extension.Defaulter   = &Flunder{}
	_ extension.Object      = &Fischer{}
)

// Default makes a bare reference point at a Flunder, as sample-apiserver's
// v1alpha1 does.
func (f *Flunder) Default() {
	if f.Spec.Reference != "" && f.Spec.ReferenceType == nil {
		t := FlunderReferenceType
		f.Spec.ReferenceType = &t
	}
}

// ConvertTo splits the single reference into the hub's typed references.
func (f *Flunder) ConvertTo(hub extension.Hub) error {
	dst, ok := hub.(*v1beta1.Flunder)
	if !ok {
		return fmt.Errorf("convert v1alpha1 Flunder to %T: unexpected hub", hub)
	}
	dst.ObjectMeta = f.ObjectMeta
	dst.Spec = v1beta1.FlunderSpec{}
	if f.Spec.ReferenceType != nil {
		dst.Spec.ReferenceType = v1beta1.ReferenceType(*f.Spec.ReferenceType)
		switch *f.Spec.ReferenceType {
		case FlunderReferenceType:
			dst.Spec.FlunderReference = f.Spec.Reference
		case FischerReferenceType:
			dst.Spec.FischerReference = f.Spec.Reference
		}
	}
	dst.Status = v1beta1.FlunderStatus{Phase: f.Status.Phase}
	return nil
}

// ConvertFrom joins the hub's typed references into the single reference.
func (f *Flunder) ConvertFrom(hub extension.Hub) error {
	src, ok := hub.(*v1beta1.Flunder)
	if !ok {
		return fmt.Errorf("convert %T to v1alpha1 Flunder: unexpected hub", hub)
	}
	f.ObjectMeta = src.ObjectMeta
	f.Spec = FlunderSpec{}
	if src.Spec.ReferenceType != "" {
		t := ReferenceType(src.Spec.ReferenceType)
		f.Spec.ReferenceType = &t
	}
	switch src.Spec.ReferenceType {
	case v1beta1.FlunderReferenceType:
		f.Spec.Reference = src.Spec.FlunderReference
	case v1beta1.FischerReferenceType:
		f.Spec.Reference = src.Spec.FischerReference
	}
	f.Status = FlunderStatus{Phase: src.Status.Phase}
	return nil
}
