package controlplane

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// column is one kubectl get column after NAME; AGE is always last.
type column struct {
	name, typ string
	// priority 1 shows only with -o wide.
	priority int32
	cell     func(obj runtime.Object) any
}

// tableConvertor renders objects for `kubectl get` as Kubernetes' printers
// do: NAME, the resource's columns, AGE.
type tableConvertor struct{ columns []column }

func (t tableConvertor) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{ColumnDefinitions: t.definitions()}
	var items []runtime.Object
	if meta.IsListType(obj) {
		var err error
		if items, err = meta.ExtractList(obj); err != nil {
			return nil, err
		}
		if lm, err := meta.ListAccessor(obj); err == nil {
			table.ResourceVersion = lm.GetResourceVersion()
			table.Continue = lm.GetContinue()
			table.RemainingItemCount = lm.GetRemainingItemCount()
		}
	} else {
		items = []runtime.Object{obj}
		if om, err := meta.Accessor(obj); err == nil {
			table.ResourceVersion = om.GetResourceVersion()
		}
	}
	for _, item := range items {
		om, err := meta.Accessor(item)
		if err != nil {
			return nil, err
		}
		cells := make([]any, 0, len(t.columns)+2)
		cells = append(cells, om.GetName())
		for _, c := range t.columns {
			cells = append(cells, c.cell(item))
		}
		cells = append(cells, age(om.GetCreationTimestamp()))
		table.Rows = append(table.Rows, metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: item}})
	}
	return table, nil
}

func (t tableConvertor) definitions() []metav1.TableColumnDefinition {
	defs := []metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name", Description: "Name must be unique within a namespace."}}
	for _, c := range t.columns {
		defs = append(defs, metav1.TableColumnDefinition{Name: c.name, Type: c.typ, Priority: c.priority})
	}
	return append(defs, metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: "Time since the object was created."})
}

func age(created metav1.Time) string {
	if created.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(created.Time))
}

// count is a column cell for the size of a map or list.
func count(n int) any { return int64(n) }

// joined shows a list as Kubernetes' printers do: "<none>" when empty.
func joined(items []string) string {
	if len(items) == 0 {
		return "<none>"
	}
	out := items[0]
	for _, s := range items[1:] {
		out += "," + s
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
