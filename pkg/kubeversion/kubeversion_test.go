package kubeversion

import (
	"slices"
	"testing"
)

func TestSort(t *testing.T) {
	got := []string{"v1alpha1", "v1beta1", "v2alpha1", "v1", "v1beta2", "v2", "v10"}
	Sort(got)
	want := []string{"v10", "v2", "v1", "v1beta2", "v1beta1", "v2alpha1", "v1alpha1"}
	if !slices.Equal(got, want) {
		t.Errorf("Sort: %v, want %v", got, want)
	}
}

func TestValid(t *testing.T) {
	for v, want := range map[string]bool{
		"v1": true, "v1beta1": true, "v2alpha3": true, "v10": true,
		"v0": false, "v01": false, "v1beta": false, "v1beta0": false, "V1": false, "v1gamma1": false, "": false,
	} {
		if got := Valid(v); got != want {
			t.Errorf("Valid(%q) = %v, want %v", v, got, want)
		}
	}
}
