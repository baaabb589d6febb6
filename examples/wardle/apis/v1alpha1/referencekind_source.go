package v1alpha1

import (
	"context"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/pkg/extension"
)

// ReferenceKinds computes the ReferenceKind resource: it lists the kinds a
// Flunder may refer to. Pass it to extension.WithComputedResource.
var ReferenceKinds = extension.Computed{
	Get: func(_ context.Context, _, name string) (extension.Object, error) {
		for _, k := range referenceKinds() {
			if k.Name == name {
				return k, nil
			}
		}
		return nil, nil
	},
	List: func(context.Context, string) ([]extension.Object, error) {
		var out []extension.Object
		for _, k := range referenceKinds() {
			out = append(out, k)
		}
		return out, nil
	},
}

func referenceKinds() []*ReferenceKind {
	kind := func(t ReferenceType, namespaced bool) *ReferenceKind {
		return &ReferenceKind{ObjectMeta: metav1.ObjectMeta{Name: strings.ToLower(string(t))},
			ReferenceType: t, Namespaced: namespaced}
	}
	return []*ReferenceKind{kind(FlunderReferenceType, true), kind(FischerReferenceType, false)}
}

// PrinterColumns shows the kind and its scope in `kubectl get referencekinds`.
func (k *ReferenceKind) PrinterColumns() []extension.PrinterColumn {
	return []extension.PrinterColumn{
		{Name: "Reference-Type", Type: "string", Description: "The kind spec.referenceType names.", Value: string(k.ReferenceType)},
		{Name: "Namespaced", Type: "boolean", Description: "Whether the referred object is namespaced.", Value: k.Namespaced},
	}
}
