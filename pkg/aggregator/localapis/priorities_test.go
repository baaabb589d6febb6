package localapis

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestPriorityFor(t *testing.T) {
	tests := []struct {
		gv   schema.GroupVersion
		want Priority
	}{
		// kube-apiserver's table.
		{schema.GroupVersion{Version: "v1"}, Priority{18000, 1}},
		{schema.GroupVersion{Group: "apps", Version: "v1"}, Priority{17800, 15}},
		{schema.GroupVersion{Group: "events.k8s.io", Version: "v1"}, Priority{17750, 15}},
		{schema.GroupVersion{Group: "autoscaling", Version: "v2"}, Priority{17500, 30}},
		{schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}, Priority{17000, 15}},
		{schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1"}, Priority{16500, 15}},
		{schema.GroupVersion{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}, Priority{16100, 21}},
		{schema.GroupVersion{Group: "storagemigration.k8s.io", Version: "v1alpha1"}, Priority{15800, 9}},
		// A known group at a version the table lacks keeps the group's place.
		{schema.GroupVersion{Group: "apps", Version: "v2"}, Priority{17800, 15}},
		{schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1beta1"}, Priority{16500, 9}},
		{schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1alpha2"}, Priority{16500, 1}},
		// Groups the table does not know.
		{schema.GroupVersion{Group: "apiregistration.k8s.io", Version: "v1"}, Priority{DefaultGroupPriority, 15}},
		{schema.GroupVersion{Group: "aggkit.example.com", Version: "v1beta2"}, Priority{DefaultGroupPriority, 9}},
		{schema.GroupVersion{Group: "aggkit.example.com", Version: "v3alpha1"}, Priority{DefaultGroupPriority, 1}},
		{schema.GroupVersion{Group: "aggkit.example.com", Version: "vbeta"}, Priority{DefaultGroupPriority, 1}},
		{schema.GroupVersion{Group: "aggkit.example.com", Version: "v1beta"}, Priority{DefaultGroupPriority, 1}},
		{schema.GroupVersion{Group: "aggkit.example.com", Version: "stable"}, Priority{DefaultGroupPriority, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.gv.String(), func(t *testing.T) {
			if got := PriorityFor(tc.gv); got != tc.want {
				t.Errorf("PriorityFor(%v) = %+v, want %+v", tc.gv, got, tc.want)
			}
		})
	}
}

// TestPrioritiesAreValid checks the table against kube-aggregator's ranges
// (group 1..20000, version 1..1000) and that each group has one place.
func TestPrioritiesAreValid(t *testing.T) {
	groupPriority := map[string]int32{}
	for gv, p := range DefaultPriorities() {
		if p.Group < 1 || p.Group > 20000 || p.Version < 1 || p.Version > 1000 {
			t.Errorf("%v: %+v out of range", gv, p)
		}
		if g, ok := groupPriority[gv.Group]; ok && g != p.Group {
			t.Errorf("group %q has priorities %d and %d", gv.Group, g, p.Group)
		}
		groupPriority[gv.Group] = p.Group
		if p.Group <= DefaultGroupPriority {
			t.Errorf("%v: %d is not above DefaultGroupPriority", gv, p.Group)
		}
	}
}

func TestDefaultPrioritiesIsACopy(t *testing.T) {
	DefaultPriorities()[schema.GroupVersion{Version: "v1"}] = Priority{1, 1}
	if got := PriorityFor(schema.GroupVersion{Version: "v1"}); got != (Priority{18000, 1}) {
		t.Errorf("changing DefaultPriorities' result changed PriorityFor: %+v", got)
	}
}

func TestGroupVersionsFromPaths(t *testing.T) {
	paths := []string{
		"/api", "/api/v1", "/apis", "/apis/", "/apis/apps", "/apis/apps/v1", "/apis/rbac.authorization.k8s.io/v1",
		"/apis/apps/v1/deployments", "/healthz", "/openapi/v2", "/version", "/apis//v1", "/apis/apps/",
	}
	want := []schema.GroupVersion{
		{Version: "v1"}, {Group: "apps", Version: "v1"}, {Group: "rbac.authorization.k8s.io", Version: "v1"},
	}
	if got := GroupVersionsFromPaths(paths); !slices.Equal(got, want) {
		t.Errorf("GroupVersionsFromPaths = %v, want %v", got, want)
	}
}
