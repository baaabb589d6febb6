package apiservice

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// REST is the storage of the apiservices resource: create, get, list, watch,
// update, patch, delete and deletecollection through the generic registry.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.StandardStorage    = &REST{}
	_ rest.CategoriesProvider = &REST{}
	_ rest.TableConvertor     = &REST{}
)

// Categories puts apiservices in `kubectl get api-extensions`, with CRDs and
// admission webhooks, as in kube-aggregator.
func (*REST) Categories() []string {
	return []string{"api-extensions"}
}

// StatusREST is the storage of the apiservices/status subresource. It shares
// the etcd store of REST and only changes status.
type StatusREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Patcher             = &StatusREST{}
	_ rest.ResetFieldsStrategy = &StatusREST{}
	_ rest.Storage             = &StatusREST{}
)

// NewStorage builds the apiservices store and its status subresource on the
// storage optsGetter describes (etcd in a real server). scheme must hold the
// apiregistration types (see Install).
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, *StatusREST, error) {
	strategy := newSpecStrategy(scheme)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &apiregistration.APIService{} },
		NewListFunc:               func() runtime.Object { return &apiregistration.APIServiceList{} },
		DefaultQualifiedResource:  apiregistration.Resource("apiservices"),
		SingularQualifiedResource: apiregistration.Resource("apiservice"),

		CreateStrategy:      strategy,
		UpdateStrategy:      strategy,
		DeleteStrategy:      strategy,
		ResetFieldsStrategy: strategy,

		TableConvertor: tableConvertor{},
	}
	options := &generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: getAttrs}
	if err := store.CompleteWithOptions(options); err != nil {
		return nil, nil, fmt.Errorf("apiservices storage: %w", err)
	}

	// The status store is a shallow copy: same etcd client and watch cache,
	// different strategies, and no create or delete.
	status := newStatusStrategy(scheme)
	statusStore := *store
	statusStore.CreateStrategy = nil
	statusStore.DeleteStrategy = nil
	statusStore.UpdateStrategy = status
	statusStore.ResetFieldsStrategy = status
	return &REST{Store: store}, &StatusREST{store: &statusStore}, nil
}

// New returns an empty APIService.
func (*StatusREST) New() runtime.Object {
	return &apiregistration.APIService{}
}

// Destroy does nothing: the store is shared with REST, whose Destroy closes it.
func (*StatusREST) Destroy() {}

// Get returns the APIService; the patch handler needs it.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update writes the status of an existing APIService. It never creates one,
// whatever the caller asks.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields reports the fields a status write drops (spec, metadata).
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}
