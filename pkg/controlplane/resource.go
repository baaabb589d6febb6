package controlplane

import (
	"fmt"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"

	"github.com/aggkit/aggkit/pkg/registry"
)

// resource declares one stored built-in resource; everything else about
// serving it (store, strategy, table, status subresource) is derived.
type resource struct {
	gv               schema.GroupVersion
	plural, singular string
	namespaced       bool
	shortNames       []string
	categories       []string
	// kindFuncs (made by kind) ties the resource to its Go types, defaults
	// and validation.
	kindFuncs
	columns []registry.Column
	// status adds the status subresource and splits spec and status writes.
	status              bool
	allowCreateOnUpdate bool
	// selectableFields beyond metadata.name and metadata.namespace, with
	// the function that reads them off an object.
	selectableFields []string
	fieldSet         func(obj runtime.Object) fields.Set
	// prepareCreate, when set, fills what only the server sets on create.
	prepareCreate func(obj runtime.Object)
	// prepareUpdate, when set, carries over what an update may not change.
	prepareUpdate func(obj, old runtime.Object)
	// wrap, when set, gives the resource behaviour beyond the generic store
	// (namespaces' lifecycle, services' allocation, RBAC's escalation
	// checks). paths holds plain at the plural, and the status subresource
	// if declared; wrap replaces or adds entries, and may ask for
	// post-start hooks and destroy functions through deps.
	wrap func(deps *dependencies, plain *REST, paths map[string]rest.Storage) error
}

// REST is the storage of one built-in resource: a generic registry store
// that also tells discovery its short names and categories.
type REST struct {
	*genericregistry.Store
	def *resource
}

// ShortNames lets `kubectl get cm` work.
func (r *REST) ShortNames() []string { return r.def.shortNames }

// Categories lets `kubectl get all` and friends find the resource.
func (r *REST) Categories() []string { return r.def.categories }

// storage builds the REST storage of the resource and its subresources,
// keyed by path as APIGroupInfo wants them.
func (d *resource) storage(deps *dependencies) (map[string]rest.Storage, error) {
	gr := d.gv.WithResource(d.plural).GroupResource()
	if d.hooks == nil {
		return nil, fmt.Errorf("storage for %s: declared without kind(...): no defaults or validation", gr)
	}
	strat := newStrategy(deps.scheme, d)
	store := &genericregistry.Store{
		NewFunc:                   d.newFunc,
		NewListFunc:               d.newListFunc,
		DefaultQualifiedResource:  gr,
		SingularQualifiedResource: d.gv.WithResource(d.singular).GroupResource(),
		CreateStrategy:            strat,
		UpdateStrategy:            strat,
		DeleteStrategy:            strat,
		ResetFieldsStrategy:       strat,
		TableConvertor:            registry.TableConvertor{Columns: d.columns},
	}
	storeOpts := &generic.StoreOptions{RESTOptions: deps.restOptions}
	if d.fieldSet != nil {
		storeOpts.AttrFunc = d.attrs
		if err := d.registerFieldSelectors(deps.scheme); err != nil {
			return nil, err
		}
	}
	if err := store.CompleteWithOptions(storeOpts); err != nil {
		return nil, fmt.Errorf("storage for %s: %w", gr, err)
	}
	plain := &REST{Store: store, def: d}
	paths := map[string]rest.Storage{d.plural: plain}
	if d.status {
		statusStore := *store
		status := statusStrategy{strat}
		statusStore.UpdateStrategy = status
		statusStore.ResetFieldsStrategy = status
		paths[d.plural+"/status"] = &registry.StatusREST{Store: &statusStore, WrapUpdate: patchErrors}
	}
	if d.wrap != nil {
		if err := d.wrap(deps, plain, paths); err != nil {
			return nil, fmt.Errorf("storage for %s: %w", gr, err)
		}
	}
	return paths, nil
}

// attrs adds the resource's own selectable fields to the metadata ones.
func (d *resource) attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	get := storage.DefaultClusterScopedAttr
	if d.namespaced {
		get = storage.DefaultNamespaceScopedAttr
	}
	l, f, err := get(obj)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range d.fieldSet(obj) {
		f[k] = v
	}
	return l, f, nil
}

// registerFieldSelectors teaches the scheme which field selectors the
// resource accepts.
func (d *resource) registerFieldSelectors(scheme *runtime.Scheme) error {
	kinds, _, err := scheme.ObjectKinds(d.newFunc())
	if err != nil {
		return err
	}
	return registry.AddFieldSelectors(scheme, kinds[0], append([]string{"metadata.name", "metadata.namespace"}, d.selectableFields...))
}
