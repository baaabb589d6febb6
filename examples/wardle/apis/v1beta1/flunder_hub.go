package v1beta1

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aggkit/aggkit/pkg/extension"
)

var (
	_ extension.Hub               = &Flunder{}
	_ extension.CreateValidator   = &Flunder{}
	_ extension.StatusSubresource = &Flunder{}
	_ extension.Printer           = &Flunder{}
	_ extension.FieldSelectable   = &Flunder{}
	_ extension.ShortNamer        = &Flunder{}
)

// Hub makes v1beta1 the version other Flunder versions convert through.
func (*Flunder) Hub() {}

// ShortNames lets `kubectl get fl` list Flunders.
func (*Flunder) ShortNames() []string { return []string{"fl"} }

// CopyStatusTo serves /status with the usual spec/status split.
func (f *Flunder) CopyStatusTo(dst runtime.Object) { dst.(*Flunder).Status = f.Status }

// PrinterColumns adds the reference to `kubectl get flunders`.
func (f *Flunder) PrinterColumns() []extension.PrinterColumn {
	ref := f.Spec.FlunderReference + f.Spec.FischerReference
	return []extension.PrinterColumn{
		{Name: "Reference-Type", Type: "string", Description: "Kind of the referred object.", Value: string(f.Spec.ReferenceType)},
		{Name: "Reference", Type: "string", Description: "Name of the referred object.", Value: ref},
		{Name: "Phase", Type: "string", Description: "State written by controllers.", Value: f.Status.Phase, Priority: 1},
	}
}

// SelectableFields allows --field-selector spec.referenceType=Fischer.
func (f *Flunder) SelectableFields() map[string]string {
	return map[string]string{"spec.referenceType": string(f.Spec.ReferenceType)}
}

// ValidateCreate checks the references as sample-apiserver does: one at most,
// matching the reference type.
func (f *Flunder) ValidateCreate(ctx context.Context) field.ErrorList {
	var errs field.ErrorList
	s, p := f.Spec, field.NewPath("spec")
	switch {
	case s.FlunderReference != "" && s.FischerReference != "":
		errs = append(errs, field.Invalid(p.Child("fischerReference"), s.FischerReference, "may not be set together with flunderReference"))
	case s.FlunderReference != "" && s.ReferenceType != FlunderReferenceType:
		errs = append(errs, field.Invalid(p.Child("flunderReference"), s.FlunderReference, "may only be set when referenceType is Flunder"))
	case s.FischerReference != "" && s.ReferenceType != FischerReferenceType:
		errs = append(errs, field.Invalid(p.Child("fischerReference"), s.FischerReference, "may only be set when referenceType is Fischer"))
	case s.FischerReference == "" && s.ReferenceType == FischerReferenceType:
		errs = append(errs, field.Required(p.Child("fischerReference"), "required when referenceType is Fischer"))
	case s.FlunderReference == "" && s.ReferenceType == FlunderReferenceType:
		errs = append(errs, field.Required(p.Child("flunderReference"), "required when referenceType is Flunder"))
	}
	if s.ReferenceType != "" && s.ReferenceType != FlunderReferenceType && s.ReferenceType != FischerReferenceType {
		errs = append(errs, field.NotSupported(p.Child("referenceType"), s.ReferenceType, []string{string(FlunderReferenceType), string(FischerReferenceType)}))
	}
	return errs
}
