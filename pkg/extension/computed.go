package extension

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/aggkit/aggkit/pkg/registry"
)

// Computed supplies a resource that is computed on request instead of
// stored, as metrics-server's resources are. Such a resource supports get
// and list (with label and field selectors, applied by the server) and table
// output; it needs no etcd.
type Computed struct {
	// Get returns one object, or (nil, nil) when there is none (404).
	// namespace is empty for cluster-scoped resources.
	Get func(ctx context.Context, namespace, name string) (Object, error)
	// List returns all objects in namespace (every namespace when empty).
	List func(ctx context.Context, namespace string) ([]Object, error)
}

// computedREST adapts Computed to k8s.io/apiserver's rest interfaces.
type computedREST struct {
	kind *kind
	src  Computed
	gr   schema.GroupResource
	registry.TableConvertor
}

func newComputedREST(k *kind) *computedREST {
	return &computedREST{kind: k, src: *k.computed, gr: schema.GroupResource{Group: k.group, Resource: k.resource},
		TableConvertor: tableConvertor(k)}
}

func (r *computedREST) New() runtime.Object     { return newOf(r.kind.hub()) }
func (r *computedREST) NewList() runtime.Object { return r.kind.hub().NewList() }

// Destroy does nothing: computed resources hold no storage.
func (r *computedREST) Destroy() {}

func (r *computedREST) NamespaceScoped() bool { return !r.kind.clusterScoped }

func (r *computedREST) GetSingularName() string { return strings.ToLower(r.kind.name) }

func (r *computedREST) ShortNames() []string {
	if sn, ok := r.kind.hub().(ShortNamer); ok {
		return sn.ShortNames()
	}
	return nil
}

func (r *computedREST) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if r.src.Get == nil {
		return nil, apierrors.NewMethodNotSupported(r.gr, "get")
	}
	ns := genericapirequest.NamespaceValue(ctx)
	obj, err := r.src.Get(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, apierrors.NewNotFound(r.gr, name)
	}
	return obj, nil
}

func (r *computedREST) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	if r.src.List == nil {
		return nil, apierrors.NewMethodNotSupported(r.gr, "list")
	}
	items, err := r.src.List(ctx, genericapirequest.NamespaceValue(ctx))
	if err != nil {
		return nil, err
	}
	s := strategy{kind: r.kind}
	var kept []runtime.Object
	for _, item := range items {
		ls, fs, err := s.attrs(item)
		if err != nil {
			return nil, err
		}
		if options != nil && options.LabelSelector != nil && !options.LabelSelector.Matches(ls) {
			continue
		}
		if options != nil && options.FieldSelector != nil && !options.FieldSelector.Matches(fs) {
			continue
		}
		kept = append(kept, item)
	}
	list := r.NewList()
	if err := meta.SetList(list, kept); err != nil {
		return nil, fmt.Errorf("list %s: %w", r.gr, err)
	}
	return list, nil
}
