package registry

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestTableConvertor checks the one table shape both the control plane and
// extension servers serve: NAME, the columns, AGE as a string (kubectl
// prints it as given), list metadata carried over, headers left out on
// request.
func TestTableConvertor(t *testing.T) {
	tc := TableConvertor{Columns: []Column{{Name: "Data", Type: "integer", Cell: func(o runtime.Object) any {
		return int64(len(o.(*corev1.ConfigMap).Data))
	}}}}
	list := &corev1.ConfigMapList{ListMeta: metav1.ListMeta{ResourceVersion: "7", Continue: "next"}, Items: []corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: metav1.NewTime(time.Now().Add(-50 * time.Hour))}, Data: map[string]string{"k": "v"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}}
	table, err := tc.ConvertToTable(context.Background(), list, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names, types []string
	for _, c := range table.ColumnDefinitions {
		names, types = append(names, c.Name), append(types, c.Type)
	}
	if want := []string{"Name", "Data", "Age"}; !slices.Equal(names, want) {
		t.Errorf("columns %v, want %v", names, want)
	}
	if types[2] != "string" {
		t.Errorf("Age column type %q, want string", types[2])
	}
	if table.ResourceVersion != "7" || table.Continue != "next" || len(table.Rows) != 2 {
		t.Errorf("table %+v", table)
	}
	if got := table.Rows[0].Cells; got[0] != "a" || got[1] != int64(1) || got[2] != "2d2h" {
		t.Errorf("row a: %v", got)
	}
	if got := table.Rows[1].Cells[2]; got != "<unknown>" {
		t.Errorf("age without creation time: %v", got)
	}
	noHeaders, err := tc.ConvertToTable(context.Background(), &list.Items[0], &metav1.TableOptions{NoHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(noHeaders.ColumnDefinitions) != 0 || len(noHeaders.Rows) != 1 {
		t.Errorf("NoHeaders table: %+v", noHeaders)
	}
}

func TestAddFieldSelectors(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	gvk := corev1.SchemeGroupVersion.WithKind("Secret")
	if err := AddFieldSelectors(scheme, gvk, []string{"metadata.name", "type"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := scheme.ConvertFieldLabel(gvk, "type", "Opaque"); err != nil {
		t.Errorf("type refused: %v", err)
	}
	if _, _, err := scheme.ConvertFieldLabel(gvk, "data", "x"); err == nil || err.Error() != "field label not supported: data" {
		t.Errorf("data: %v", err)
	}
}
