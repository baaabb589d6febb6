package registry

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// AddFieldSelectors teaches scheme which field selectors kind accepts;
// without it only metadata.name and metadata.namespace pass the request
// decoder. Others fail as kube-apiserver's do.
func AddFieldSelectors(scheme *runtime.Scheme, kind schema.GroupVersionKind, allowed []string) error {
	allowed = slices.Clone(allowed)
	return scheme.AddFieldLabelConversionFunc(kind, func(label, value string) (string, string, error) {
		if slices.Contains(allowed, label) {
			return label, value, nil
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	})
}
