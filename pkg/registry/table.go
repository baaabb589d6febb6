package registry

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Column is one `kubectl get` column between NAME and AGE.
type Column struct {
	Name string
	// Type is an OpenAPI type: string, integer, number, boolean or date.
	Type        string
	Description string
	// Priority 0 shows by default, higher only with -o wide.
	Priority int32
	// Cell reads the column's value off one object.
	Cell func(obj runtime.Object) any
}

// TableConvertor renders objects for `kubectl get` as Kubernetes' printers
// do: NAME, the columns, AGE (a human duration, so of type string).
type TableConvertor struct {
	Columns []Column
}

var _ rest.TableConvertor = TableConvertor{}

// ConvertToTable renders obj, a list or a single object.
func (t TableConvertor) ConvertToTable(_ context.Context, obj, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = t.definitions()
	}
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
		cells := make([]any, 0, len(t.Columns)+2)
		cells = append(cells, om.GetName())
		for _, c := range t.Columns {
			cells = append(cells, c.Cell(item))
		}
		cells = append(cells, Age(om.GetCreationTimestamp()))
		table.Rows = append(table.Rows, metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: item}})
	}
	return table, nil
}

func (t TableConvertor) definitions() []metav1.TableColumnDefinition {
	defs := []metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name", Description: "Name must be unique within a namespace."}}
	for _, c := range t.Columns {
		defs = append(defs, metav1.TableColumnDefinition{Name: c.Name, Type: c.Type, Description: c.Description, Priority: c.Priority})
	}
	return append(defs, metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: "Time since the object was created."})
}

// Age is how long ago created was, as kubectl shows it.
func Age(created metav1.Time) string {
	if created.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(created.Time))
}
