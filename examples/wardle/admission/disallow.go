package admission

import (
	"context"
	"fmt"
	"slices"

	"github.com/aggkit/aggkit/examples/wardle/apis/v1alpha1"
	"github.com/aggkit/aggkit/pkg/extension"
)

// DisallowedFlunders refuses to create a Flunder whose name a Fischer lists
// in disallowedFlunders (sample-apiserver's BanFlunder rule).
func DisallowedFlunders(ctx context.Context, req *extension.AdmissionRequest) error {
	if req.Kind != "Flunder" || req.Operation != extension.Create {
		return nil
	}
	var fischers v1alpha1.FischerList
	if err := req.Reader.List(ctx, "", &fischers); err != nil {
		return fmt.Errorf("list fischers to check flunder %q: %w", req.Name, err)
	}
	for _, f := range fischers.Items {
		if slices.Contains(f.DisallowedFlunders, req.Name) {
			return fmt.Errorf("the name %q is disallowed by Fischer %q (disallowedFlunders); choose another name", req.Name, f.Name)
		}
	}
	return nil
}
