package apidocs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildPageVersionOrder(t *testing.T) {
	tests := []struct {
		name      string
		preferred string
		want      []string
	}{
		{name: "highest priority without discovery", preferred: "", want: []string{"v1", "v1alpha1"}},
		{name: "discovery's preferred first", preferred: "v1alpha1", want: []string{"v1alpha1", "v1"}},
		{name: "unknown preferred ignored", preferred: "v9", want: []string{"v1", "v1alpha1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := BuildPage(shopDocs(tt.preferred))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range page.Versions {
				got = append(got, v.Version)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
			if !page.Versions[0].Preferred || page.Versions[1].Preferred {
				t.Errorf("only the first version should be preferred: %+v", page.Versions)
			}
		})
	}
}

func findKind(t *testing.T, p *Page, version, kind string) KindDoc {
	t.Helper()
	for _, v := range p.Versions {
		if v.Version != version {
			continue
		}
		for _, k := range v.Kinds {
			if k.Kind == kind {
				return k
			}
		}
	}
	t.Fatalf("no kind %s in %s", kind, version)
	return KindDoc{}
}

func TestBuildPageKinds(t *testing.T) {
	page, err := BuildPage(shopDocs(""))
	if err != nil {
		t.Fatal(err)
	}
	order := findKind(t, page, "v1", "Order")
	catalog := findKind(t, page, "v1", "Catalog")
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"order namespaced", order.Namespaced, true},
		{"catalog cluster-scoped", catalog.Namespaced, false},
		{"order resource", order.Resource, "orders"},
		{"order verbs from main paths, watch from the watch path", order.Verbs, []string{"get", "list", "watch", "create", "delete"}},
		{"order subresources", order.Subresources, []string{"status"}},
		{"order list kind", order.ListKind, "OrderList"},
		{"catalog has no list kind", catalog.ListKind, ""},
		{"order description", order.Description, "Order is <b>one</b> purchase | with a pipe.\n\nSecond paragraph."},
		{"kinds sorted", []string{page.Versions[0].Kinds[0].Kind, page.Versions[0].Kinds[1].Kind}, []string{"Catalog", "Order"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	var endpoints []string
	for _, e := range order.Endpoints {
		endpoints = append(endpoints, e.Method+" "+e.Path+" "+e.Verb)
	}
	want := []string{
		"GET /apis/shop.example.com/v1/namespaces/{namespace}/orders list",
		"POST /apis/shop.example.com/v1/namespaces/{namespace}/orders create",
		"GET /apis/shop.example.com/v1/namespaces/{namespace}/orders/{name} get",
		"DELETE /apis/shop.example.com/v1/namespaces/{namespace}/orders/{name} delete",
		"PUT /apis/shop.example.com/v1/namespaces/{namespace}/orders/{name}/status update",
		"GET /apis/shop.example.com/v1/orders list",
	}
	if diff := cmp.Diff(want, endpoints); diff != "" {
		t.Errorf("endpoints, watch paths left out (-want +got):\n%s", diff)
	}
}

func TestBuildPageFields(t *testing.T) {
	page, err := BuildPage(shopDocs(""))
	if err != nil {
		t.Fatal(err)
	}
	order := findKind(t, page, "v1", "Order")
	fields := map[string]Field{}
	var paths []string
	for _, f := range order.Fields {
		fields[f.Path] = f
		paths = append(paths, f.Path)
	}
	wantPaths := []string{
		"apiVersion", "kind", "metadata", "spec",
		"spec.byWarehouse",
		"spec.byWarehouse.<key>.name", "spec.byWarehouse.<key>.subparts",
		"spec.colour", "spec.created", "spec.labels",
		"spec.parts", "spec.priority", "spec.quantity",
		"spec.shipping", "spec.shipping.address",
		"spec.size",
		"spec.tree", "spec.tree.next", "spec.tree.value",
		"status",
	}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Fatalf("field paths: standard fields first, then sorted; each named type expanded once (-want +got):\n%s", diff)
	}

	tests := []struct {
		path string
		want Field
	}{
		{"metadata", Field{Type: TypeRef{Name: "ObjectMeta", Link: commonDefinitions + "object-meta/#ObjectMeta"}}},
		{"spec", Field{Anchor: "v1-order-spec", Type: TypeRef{Name: "OrderSpec", Link: "#v1-order-spec"}, Description: "OrderSpec is the wanted order."}},
		{"spec.byWarehouse", Field{Anchor: "v1-order-spec-bywarehouse-key", Type: TypeRef{Prefix: "map[string]", Name: "Part", Link: "#v1-order-spec-bywarehouse-key"}}},
		// The type's description stands in only for a field that is the type itself.
		{"spec.byWarehouse.<key>.subparts", Field{Type: TypeRef{Prefix: "[]", Name: "Part", Link: "#v1-order-spec-bywarehouse-key"}}},
		{"spec.parts", Field{Type: TypeRef{Prefix: "[]", Name: "Part", Link: "#v1-order-spec-bywarehouse-key"}, Description: "Parts to ship."}},
		{"spec.priority", Field{Type: TypeRef{Name: "string"}, Required: true, Description: "Priority of the order.", Enum: []string{"high", "low"}, Default: `"low"`}},
		{"spec.quantity", Field{Type: TypeRef{Name: "integer (int32)"}, Default: "1"}},
		{"spec.labels", Field{Type: TypeRef{Prefix: "map[string]", Name: "string"}}},
		{"spec.colour", Field{Type: TypeRef{Name: "Colour (string)"}, Enum: []string{"blue", "red"}}},
		{"spec.created", Field{Type: TypeRef{Name: "Time", Link: generatedReference + "#time-v1-meta"}}},
		{"spec.size", Field{Type: TypeRef{Name: "int-or-string"}}},
		{"spec.shipping", Field{Type: TypeRef{Name: "object"}}},
		{"spec.shipping.address", Field{Type: TypeRef{Name: "string"}, Description: "Where to."}},
		{"spec.tree.next", Field{Type: TypeRef{Name: "Node", Link: "#v1-order-spec-tree"}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := fields[tt.path]
			got.Path, got.Name, got.Depth = "", "", 0
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if d := fields["spec.shipping.address"].Depth; d != 2 {
		t.Errorf("depth of spec.shipping.address = %d, want 2", d)
	}

	catalog := findKind(t, page, "v1", "Catalog")
	if got := catalog.Fields[0].Type.String(); got != "[][]string" {
		t.Errorf("nested arrays: got %q, want [][]string", got)
	}
}

func TestBuildPageErrors(t *testing.T) {
	tests := []struct {
		name string
		docs GroupDocs
		want string
	}{
		{"no group", GroupDocs{OpenAPI: map[string][]byte{"v1": []byte("{}")}}, "no group name"},
		{"no documents", GroupDocs{Group: "a.example.com"}, "no OpenAPI documents"},
		{"broken JSON", GroupDocs{Group: "a.example.com", OpenAPI: map[string][]byte{"v1": []byte("{")}}, "a.example.com/v1: decode OpenAPI v3 document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildPage(tt.docs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
