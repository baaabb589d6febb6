package extension_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestScaleSubresource drives /scale of Widgets (which implement
// ScaleSubresource) as kubectl scale and HorizontalPodAutoscalers do.
func TestScaleSubresource(t *testing.T) {
	ts := startServer(t, newTestServer())
	ctx := context.Background()
	w := ts.dynamic.Resource(widgets).Namespace("default")
	created, err := w.Create(ctx, widget("scaled", map[string]any{"replicas": int64(1)}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(created.Object, int64(1), "status", "replicas")
	if _, err := w.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	scale, err := w.Get(ctx, "scaled", metav1.GetOptions{}, "scale")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("get reads spec and status replicas as autoscaling/v1 Scale", func(t *testing.T) {
		spec, _, _ := unstructured.NestedInt64(scale.Object, "spec", "replicas")
		status, _, _ := unstructured.NestedInt64(scale.Object, "status", "replicas")
		selector, _, _ := unstructured.NestedString(scale.Object, "status", "selector")
		if scale.GetAPIVersion() != "autoscaling/v1" || scale.GetKind() != "Scale" || spec != 1 || status != 1 || selector != "app=scaled" {
			t.Fatalf("scale = %v", scale.Object)
		}
	})

	setReplicas := func(base *unstructured.Unstructured, n int64) *unstructured.Unstructured {
		s := base.DeepCopy()
		_ = unstructured.SetNestedField(s.Object, n, "spec", "replicas")
		_ = unstructured.SetNestedField(s.Object, int64(99), "status", "replicas")
		return s
	}
	t.Run("update changes spec.replicas only", func(t *testing.T) {
		if _, err := w.Update(ctx, setReplicas(scale, 3), metav1.UpdateOptions{}, "scale"); err != nil {
			t.Fatal(err)
		}
		got, err := w.Get(ctx, "scaled", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		spec, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas")
		status, _, _ := unstructured.NestedInt64(got.Object, "status", "replicas")
		color, _, _ := unstructured.NestedString(got.Object, "spec", "color")
		if spec != 3 || status != 1 || color != "blue" {
			t.Fatalf("after scale to 3: spec.replicas=%d status.replicas=%d color=%q, want 3, 1, blue", spec, status, color)
		}
	})

	refused := []struct {
		name  string
		scale *unstructured.Unstructured
		is    func(error) bool
		want  string
	}{
		{"stale resourceVersion conflicts", setReplicas(scale, 5), apierrors.IsConflict, "modified"},
		{"negative replicas are invalid", func() *unstructured.Unstructured {
			s := setReplicas(scale, -1)
			s.SetResourceVersion("")
			return s
		}(), apierrors.IsInvalid, "spec.replicas"},
		{"missing object is not found", func() *unstructured.Unstructured {
			s := setReplicas(scale, 2)
			s.SetName("absent")
			s.SetResourceVersion("")
			return s
		}(), apierrors.IsNotFound, "absent"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Update(ctx, tc.scale, metav1.UpdateOptions{}, "scale")
			if !tc.is(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want error containing %q", err, tc.want)
			}
		})
	}

	t.Run("discovery and OpenAPI publish widgets/scale", func(t *testing.T) {
		if body := string(ts.get(t, "/apis/test.aggkit.io/v1", "application/json")); !strings.Contains(body, `"widgets/scale"`) {
			t.Fatalf("discovery: %s", body)
		}
		if body := string(ts.get(t, "/openapi/v3/apis/test.aggkit.io/v1", "application/json")); !strings.Contains(body, "io.k8s.api.autoscaling.v1.Scale") {
			t.Fatalf("openapi v3 has no Scale model")
		}
	})
}
