package extension_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/extension"
	"github.com/aggkit/aggkit/pkg/extension/internal/testapi/openapi"
	testv1 "github.com/aggkit/aggkit/pkg/extension/internal/testapi/v1"
)

var (
	widgets = schema.GroupVersionResource{Group: "test.aggkit.io", Version: "v1", Resource: "widgets"}
	gauges  = schema.GroupVersionResource{Group: "test.aggkit.io", Version: "v1", Resource: "gauges"}
)

// gaugeSource is a computed resource: three gauges, one labelled.
var gaugeSource = extension.Computed{
	Get: func(_ context.Context, _, name string) (extension.Object, error) {
		for _, g := range gaugeList() {
			if g.GetName() == name {
				return g, nil
			}
		}
		return nil, nil
	},
	List: func(context.Context, string) ([]extension.Object, error) { return gaugeList(), nil },
}

func gaugeList() []extension.Object {
	var out []extension.Object
	for i, name := range []string{"cpu", "memory", "disk"} {
		g := &testv1.Gauge{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: int64(i * 10)}
		if name == "disk" {
			g.Labels = map[string]string{"kind": "storage"}
		}
		out = append(out, g)
	}
	return out
}

func newTestServer() *extension.Server {
	return extension.New("test.aggkit.io").
		WithResource(&testv1.Widget{}).
		WithComputedResource(&testv1.Gauge{}, gaugeSource).
		WithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions).
		WithMutatingAdmission(func(_ context.Context, req *extension.AdmissionRequest) error {
			if req.Operation == extension.Create && req.Kind == "Widget" {
				w := req.Object.(*testv1.Widget)
				if w.Labels == nil {
					w.Labels = map[string]string{}
				}
				w.Labels["created-by"] = req.User.Name
			}
			return nil
		}).
		WithAdmission(func(_ context.Context, req *extension.AdmissionRequest) error {
			if req.Name == "forbidden" {
				return fmt.Errorf("widgets may not be called %q", req.Name)
			}
			return nil
		})
}

func widget(name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "test.aggkit.io/v1", "kind": "Widget",
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
}

// TestStoredResource drives one server through the behaviours the optional
// interfaces unlock; subtests share it and run in order.
func TestStoredResource(t *testing.T) {
	ts := startServer(t, newTestServer())
	ctx := context.Background()
	w := ts.dynamic.Resource(widgets).Namespace("default")

	watcher, err := w.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	defer watcher.Stop()

	t.Run("create defaults and mutating admission", func(t *testing.T) {
		got, err := w.Create(ctx, widget("a", map[string]any{"size": int64(3)}), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c, _, _ := unstructured.NestedString(got.Object, "spec", "color"); c != "blue" {
			t.Errorf("spec.color = %q, want defaulted blue", c)
		}
		if by := got.GetLabels()["created-by"]; by != "admin" {
			t.Errorf("created-by label = %q, want admin from the request's user", by)
		}
	})

	t.Run("watch sees the create", func(t *testing.T) {
		ev := <-watcher.ResultChan()
		if ev.Type != watch.Added || ev.Object.(*unstructured.Unstructured).GetName() != "a" {
			t.Fatalf("first event %s %v, want ADDED a", ev.Type, ev.Object)
		}
	})

	invalid := []struct {
		name string
		do   func() error
		want string
	}{
		{"create with negative size", func() error {
			_, err := w.Create(ctx, widget("neg", map[string]any{"size": int64(-1)}), metav1.CreateOptions{})
			return err
		}, "spec.size"},
		{"update of immutable color", func() error {
			cur, err := w.Get(ctx, "a", metav1.GetOptions{})
			if err != nil {
				return err
			}
			_ = unstructured.SetNestedField(cur.Object, "red", "spec", "color")
			_, err = w.Update(ctx, cur, metav1.UpdateOptions{})
			return err
		}, "spec.color"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want 422 Invalid naming %s", err, tc.want)
			}
		})
	}

	t.Run("validating admission denies with the hook's message", func(t *testing.T) {
		_, err := w.Create(ctx, widget("forbidden", map[string]any{}), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `widgets may not be called "forbidden"`) {
			t.Fatalf("got %v, want 403 with the hook's message", err)
		}
	})

	t.Run("main update keeps status, status update keeps spec", func(t *testing.T) {
		cur, err := w.Get(ctx, "a", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_ = unstructured.SetNestedField(cur.Object, true, "status", "ready")
		_ = unstructured.SetNestedField(cur.Object, int64(5), "spec", "size")
		cur, err = w.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ready, _, _ := unstructured.NestedBool(cur.Object, "status", "ready"); !ready {
			t.Error("status update did not set status.ready")
		}
		if size, _, _ := unstructured.NestedInt64(cur.Object, "spec", "size"); size != 3 {
			t.Errorf("status update changed spec.size to %d", size)
		}
		_ = unstructured.SetNestedField(cur.Object, false, "status", "ready")
		_ = unstructured.SetNestedField(cur.Object, int64(7), "spec", "size")
		cur, err = w.Update(ctx, cur, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ready, _, _ := unstructured.NestedBool(cur.Object, "status", "ready"); !ready {
			t.Error("main update changed status.ready")
		}
		if size, _, _ := unstructured.NestedInt64(cur.Object, "spec", "size"); size != 7 {
			t.Errorf("main update did not set spec.size: %d", size)
		}
	})

	t.Run("stale resourceVersion conflicts", func(t *testing.T) {
		cur, err := w.Get(ctx, "a", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		stale := cur.DeepCopy()
		cur.SetLabels(map[string]string{"touched": "yes"})
		if _, err := w.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Update(ctx, stale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
			t.Fatalf("got %v, want 409 Conflict", err)
		}
	})

	t.Run("server-side apply", func(t *testing.T) {
		body := []byte(`{"apiVersion":"test.aggkit.io/v1","kind":"Widget","metadata":{"name":"b"},"spec":{"color":"green","size":2}}`)
		got, err := w.Patch(ctx, "b", types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: "tester"})
		if err != nil {
			t.Fatal(err)
		}
		var managers []string
		for _, m := range got.GetManagedFields() {
			managers = append(managers, m.Manager)
		}
		if !strings.Contains(strings.Join(managers, ","), "tester") {
			t.Fatalf("managedFields managers %v, want tester", managers)
		}
	})

	t.Run("field selector on a selectable field", func(t *testing.T) {
		list, err := w.List(ctx, metav1.ListOptions{FieldSelector: "spec.color=green"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].GetName() != "b" {
			t.Fatalf("got %d items, want only b", len(list.Items))
		}
		if _, err := w.List(ctx, metav1.ListOptions{FieldSelector: "spec.size=2"}); !apierrors.IsBadRequest(err) {
			t.Fatalf("unknown field label: got %v, want 400", err)
		}
	})

	t.Run("table output has printer columns", func(t *testing.T) {
		body := ts.get(t, "/apis/test.aggkit.io/v1/namespaces/default/widgets", "application/json;as=Table;v=v1;g=meta.k8s.io")
		var table metav1.Table
		if err := json.Unmarshal(body, &table); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range table.ColumnDefinitions {
			names = append(names, c.Name)
		}
		if got := strings.Join(names, ","); got != "Name,Color,Size,Age" {
			t.Fatalf("columns %s, want Name,Color,Size,Age", got)
		}
		if len(table.Rows) != 2 {
			t.Fatalf("%d rows, want 2", len(table.Rows))
		}
	})

	t.Run("openapi v3 describes the type", func(t *testing.T) {
		body := ts.get(t, "/openapi/v3/apis/test.aggkit.io/v1", "application/json")
		if !strings.Contains(string(body), "io.aggkit.test.v1.Widget") {
			t.Fatalf("openapi v3 lacks io.aggkit.test.v1.Widget")
		}
	})
}

func TestComputedResource(t *testing.T) {
	ts := startServer(t, newTestServer())
	ctx := context.Background()
	g := ts.dynamic.Resource(gauges)
	tests := []struct {
		selector string
		want     int
	}{{"", 3}, {"kind=storage", 1}, {"kind=none", 0}}
	for _, tc := range tests {
		t.Run("list "+tc.selector, func(t *testing.T) {
			list, err := g.List(ctx, metav1.ListOptions{LabelSelector: tc.selector})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Items) != tc.want {
				t.Fatalf("%d gauges, want %d", len(list.Items), tc.want)
			}
		})
	}
	if got, err := g.Get(ctx, "memory", metav1.GetOptions{}); err != nil || got.Object["value"] != int64(10) {
		t.Fatalf("get memory: %v %v", got, err)
	}
	if _, err := g.Get(ctx, "nope", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("get nope: %v, want 404", err)
	}
}

func TestOnlySystemMastersInStandalone(t *testing.T) {
	ts := startServer(t, newTestServer())
	client, err := rest.HTTPClientFor(ts.userConfig(t, "alice", "developers"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(ts.host + "/apis/test.aggkit.io/v1/gauges")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("alice got %d, want 403", resp.StatusCode)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		srv  *extension.Server
		want string
	}{
		{"no openapi", extension.New("test.aggkit.io").WithResource(&testv1.Widget{}), "go run ./hack/codegen"},
		{"no resources", extension.New("test.aggkit.io").WithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions), "no resources"},
		{"duplicate version", extension.New("test.aggkit.io").WithResource(&testv1.Widget{}).WithResource(&testv1.Widget{}), "registered twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.srv.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run: %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func (ts *testServer) get(t *testing.T, path, accept string) []byte {
	t.Helper()
	client, err := rest.HTTPClientFor(ts.config)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.host+path, nil)
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}
