package deploy

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Apply sends objs to the cluster of cfg with server-side apply, as field
// manager "aggkit" taking over conflicting fields (force), Namespaces first
// and the rest in the given order. It writes one line per object to
// progress and stops at the first failure, naming the object.
func Apply(ctx context.Context, cfg *rest.Config, objs []runtime.Object, progress io.Writer) error {
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco))

	items := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		u, err := toUnstructured(obj)
		if err != nil {
			return err
		}
		items = append(items, u)
	}
	// Namespaces first, so that what lives in them can be created.
	slices.SortStableFunc(items, func(a, b *unstructured.Unstructured) int {
		return rank(a) - rank(b)
	})
	for _, u := range items {
		if err := applyOne(ctx, client, mapper, u); err != nil {
			return err
		}
		if progress != nil {
			fmt.Fprintf(progress, "applied %s\n", describe(u))
		}
	}
	return nil
}

func rank(u *unstructured.Unstructured) int {
	if gvk := u.GroupVersionKind(); gvk.Group == "" && gvk.Kind == "Namespace" {
		return 0
	}
	return 1
}

func applyOne(ctx context.Context, client dynamic.Interface, mapper meta.ResettableRESTMapper, u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// The kind may have just been registered (an APIService applied
		// earlier in the list): look again before giving up.
		mapper.Reset()
		mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if meta.IsNoMatchError(err) {
		return fmt.Errorf("apply %s: the server does not serve kind %s of API version %s: %w",
			describe(u), gvk.Kind, gvk.GroupVersion(), err)
	}
	if err != nil {
		return fmt.Errorf("apply %s: %w", describe(u), err)
	}
	var resource dynamic.ResourceInterface = client.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		resource = client.Resource(mapping.Resource).Namespace(u.GetNamespace())
	}
	_, err = resource.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("apply %s: %w", describe(u), err)
	}
	return nil
}

// toUnstructured converts obj for the dynamic client, leaving out what a
// typed object always carries but an apply must not claim: a null
// creationTimestamp and an empty status.
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	gvk, err := kindOf(obj)
	if err != nil {
		return nil, fmt.Errorf("apply %T: %w", obj, err)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("apply %T: %w", obj, err)
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	if status, ok := u.Object["status"].(map[string]any); ok && len(status) == 0 {
		delete(u.Object, "status")
	}
	return u, nil
}

// describe names an object as kubectl does: kind/name, with its namespace.
func describe(u *unstructured.Unstructured) string {
	s := strings.ToLower(u.GetKind()) + "/" + u.GetName()
	if ns := u.GetNamespace(); ns != "" {
		s += " -n " + ns
	}
	return s
}
