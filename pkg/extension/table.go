package extension

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/aggkit/aggkit/pkg/registry"
)

// tableConvertor renders `kubectl get` output for kind: NAME, the hub's
// PrinterColumns, AGE, the same way the control plane's built-in
// resources do.
func tableConvertor(k *kind) registry.TableConvertor {
	p, ok := newOf(k.hub()).(Printer)
	if !ok {
		return registry.TableConvertor{}
	}
	var columns []registry.Column
	for i, col := range p.PrinterColumns() {
		columns = append(columns, registry.Column{Name: col.Name, Type: col.Type, Description: col.Description, Priority: col.Priority,
			Cell: func(o runtime.Object) any {
				if p, ok := o.(Printer); ok {
					if cols := p.PrinterColumns(); i < len(cols) {
						return cols[i].Value
					}
				}
				return nil
			}})
	}
	return registry.TableConvertor{Columns: columns}
}
