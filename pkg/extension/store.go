package extension

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/aggkit/aggkit/pkg/registry"
)

// storedResource is the REST storage of one stored kind: k8s.io/apiserver's
// generic registry store plus the discovery extras the type asked for.
type storedResource struct {
	*genericregistry.Store
	kind *kind
}

func (r *storedResource) ShortNames() []string {
	if sn, ok := r.kind.hub().(ShortNamer); ok {
		return sn.ShortNames()
	}
	return nil
}

func (r *storedResource) Categories() []string {
	if c, ok := r.kind.hub().(Categorized); ok {
		return c.Categories()
	}
	return nil
}

// newStore builds the registry store of a kind over storage options that
// encode objects in the kind's storage version.
func newStore(k *kind, scheme *runtime.Scheme, codecs serializer.CodecFactory, getter generic.RESTOptionsGetter) (*storedResource, error) {
	s := strategy{ObjectTyper: scheme, NameGenerator: names.SimpleNameGenerator, kind: k}
	hub := k.hub()
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return newOf(hub) },
		NewListFunc:               func() runtime.Object { return hub.NewList() },
		DefaultQualifiedResource:  schema.GroupResource{Group: k.group, Resource: k.resource},
		SingularQualifiedResource: schema.GroupResource{Group: k.group, Resource: strings.ToLower(k.name)},
		CreateStrategy:            s,
		UpdateStrategy:            s,
		DeleteStrategy:            s,
		ResetFieldsStrategy:       s,
		TableConvertor:            tableConvertor(k),
	}
	opts := &generic.StoreOptions{
		RESTOptions: storageVersionGetter{RESTOptionsGetter: getter, codecs: codecs, gv: schema.GroupVersion{Group: k.group, Version: k.storeVersion}},
		AttrFunc:    s.attrs,
	}
	if err := store.CompleteWithOptions(opts); err != nil {
		return nil, fmt.Errorf("storage for %s: %w", k.resource, err)
	}
	return &storedResource{Store: store, kind: k}, nil
}

// storageVersionGetter makes each kind's objects be written to etcd in the
// kind's own storage version (the generic options have one codec for all).
type storageVersionGetter struct {
	generic.RESTOptionsGetter
	codecs serializer.CodecFactory
	gv     schema.GroupVersion
}

func (g storageVersionGetter) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	opts, err := g.RESTOptionsGetter.GetRESTOptions(resource, example)
	if err != nil {
		return opts, err
	}
	cfg := *opts.StorageConfig
	cfg.Codec = g.codecs.LegacyCodec(g.gv)
	cfg.EncodeVersioner = g.gv
	opts.StorageConfig = &cfg
	return opts, nil
}

// newStatusREST serves /status with the status-only update strategy.
func newStatusREST(parent *storedResource) *registry.StatusREST {
	st := *parent.Store
	s := parent.Store.UpdateStrategy.(strategy)
	s.status = true
	st.UpdateStrategy = s
	st.ResetFieldsStrategy = s
	return &registry.StatusREST{Store: &st}
}
