package extension

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// tableConvertor renders `kubectl get` output: NAME, the resource's Printer
// columns, AGE.
type tableConvertor struct {
	kind *kind
}

func (c tableConvertor) ConvertToTable(ctx context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	noHeaders := false
	if opts, ok := tableOptions.(*metav1.TableOptions); ok {
		noHeaders = opts.NoHeaders
	}
	if !noHeaders {
		table.ColumnDefinitions = append(table.ColumnDefinitions, metav1.TableColumnDefinition{
			Name: "Name", Type: "string", Format: "name", Description: "Name must be unique within a namespace."})
		if p, ok := newOf(c.kind.hub()).(Printer); ok {
			for _, col := range p.PrinterColumns() {
				table.ColumnDefinitions = append(table.ColumnDefinitions, metav1.TableColumnDefinition{
					Name: col.Name, Type: col.Type, Description: col.Description, Priority: col.Priority})
			}
		}
		table.ColumnDefinitions = append(table.ColumnDefinitions, metav1.TableColumnDefinition{
			Name: "Age", Type: "date", Description: "Time since the object was created."})
	}

	row := func(o runtime.Object) error {
		m, err := meta.Accessor(o)
		if err != nil {
			return fmt.Errorf("table row for %s: %w", c.kind.name, err)
		}
		cells := []any{m.GetName()}
		if p, ok := o.(Printer); ok {
			for _, col := range p.PrinterColumns() {
				cells = append(cells, col.Value)
			}
		}
		cells = append(cells, age(m.GetCreationTimestamp()))
		table.Rows = append(table.Rows, metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: o}})
		return nil
	}
	if meta.IsListType(obj) {
		if err := meta.EachListItem(obj, row); err != nil {
			return nil, err
		}
		if l, err := meta.ListAccessor(obj); err == nil {
			table.ResourceVersion = l.GetResourceVersion()
			table.Continue = l.GetContinue()
			table.RemainingItemCount = l.GetRemainingItemCount()
		}
		return table, nil
	}
	if err := row(obj); err != nil {
		return nil, err
	}
	if m, err := meta.Accessor(obj); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
	}
	return table, nil
}

func age(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t.Time))
}
