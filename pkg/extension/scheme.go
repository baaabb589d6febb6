package extension

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aggkit/aggkit/pkg/registry"
)

// buildScheme registers every version of every kind, with the hub type
// standing in as the internal version k8s.io/apiserver converts through.
// Users therefore never write internal types: the hub is one of their
// served versions.
func buildScheme(group string, kinds []*kind) (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	scheme.AddUnversionedTypes(schema.GroupVersion{Version: "v1"},
		&metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{}, &metav1.APIGroup{}, &metav1.APIResourceList{})

	internal := schema.GroupVersion{Group: group, Version: runtime.APIVersionInternal}
	seen := map[string]bool{}
	var allVersions []string
	for _, k := range kinds {
		hub := k.hub()
		scheme.AddKnownTypeWithName(internal.WithKind(k.name), newOf(hub))
		scheme.AddKnownTypeWithName(internal.WithKind(k.name+"List"), hub.NewList())
		for v, obj := range k.versions {
			gv := schema.GroupVersion{Group: group, Version: v}
			if !seen[v] {
				seen[v] = true
				allVersions = append(allVersions, v)
				metav1.AddToGroupVersion(scheme, gv)
			}
			scheme.AddKnownTypeWithName(gv.WithKind(k.name), newOf(obj))
			scheme.AddKnownTypeWithName(gv.WithKind(k.name+"List"), obj.NewList())
			if d, ok := obj.(Defaulter); ok {
				scheme.AddTypeDefaultingFunc(d.(runtime.Object), func(o any) { o.(Defaulter).Default() })
			}
			if err := addFieldLabelConversion(scheme, gv.WithKind(k.name), hub, k.clusterScoped); err != nil {
				return nil, err
			}
			if v != k.hubVersion {
				if err := addHubConversions(scheme, obj, hub); err != nil {
					return nil, fmt.Errorf("kind %s version %s: %w", k.name, v, err)
				}
			}
		}
	}
	if anyScaled(kinds) {
		addScaleToScheme(scheme)
	}
	sortVersions(allVersions)
	var gvs []schema.GroupVersion
	for _, v := range allVersions {
		gvs = append(gvs, schema.GroupVersion{Group: group, Version: v})
	}
	if err := scheme.SetVersionPriority(gvs...); err != nil {
		return nil, fmt.Errorf("set version priority of %s: %w", group, err)
	}
	return scheme, nil
}

// addHubConversions teaches the scheme spoke<->hub conversion, for objects
// and their lists, through the spoke's Convertible methods.
func addHubConversions(scheme *runtime.Scheme, spoke, hub Object) error {
	toHub := func(a, b any, _ conversion.Scope) error {
		return a.(Convertible).ConvertTo(b.(Hub))
	}
	fromHub := func(a, b any, _ conversion.Scope) error {
		return b.(Convertible).ConvertFrom(a.(Hub))
	}
	if err := scheme.AddConversionFunc(newOf(spoke), newOf(hub), toHub); err != nil {
		return err
	}
	if err := scheme.AddConversionFunc(newOf(hub), newOf(spoke), fromHub); err != nil {
		return err
	}
	toHubItem := func(in, out any) error { return in.(Convertible).ConvertTo(out.(Hub)) }
	fromHubItem := func(in, out any) error { return out.(Convertible).ConvertFrom(in.(Hub)) }
	if err := scheme.AddConversionFunc(spoke.NewList(), hub.NewList(), func(a, b any, _ conversion.Scope) error {
		return convertList(scheme, a.(runtime.Object), b.(runtime.Object), func() runtime.Object { return newOf(hub) }, toHubItem)
	}); err != nil {
		return err
	}
	return scheme.AddConversionFunc(hub.NewList(), spoke.NewList(), func(a, b any, _ conversion.Scope) error {
		return convertList(scheme, a.(runtime.Object), b.(runtime.Object), func() runtime.Object { return newOf(spoke) }, fromHubItem)
	})
}

// convertList converts list metadata and each item. Lists of struct values
// (what generated list types are) are converted in place into a new items
// slice, without the per-item scheme lookup and copy of the general path.
func convertList(scheme *runtime.Scheme, in, out runtime.Object, newItem func() runtime.Object, convertItem func(in, out any) error) error {
	inMeta, err := meta.ListAccessor(in)
	if err != nil {
		return err
	}
	outMeta, err := meta.ListAccessor(out)
	if err != nil {
		return err
	}
	outMeta.SetResourceVersion(inMeta.GetResourceVersion())
	outMeta.SetContinue(inMeta.GetContinue())
	outMeta.SetRemainingItemCount(inMeta.GetRemainingItemCount())
	outMeta.SetSelfLink(inMeta.GetSelfLink())
	if inItems, outItems, ok := structItems(in, out); ok {
		converted := reflect.MakeSlice(outItems.Type(), inItems.Len(), inItems.Len())
		for i := range inItems.Len() {
			if err := convertItem(inItems.Index(i).Addr().Interface(), converted.Index(i).Addr().Interface()); err != nil {
				return err
			}
		}
		outItems.Set(converted)
		return nil
	}
	items, err := meta.ExtractList(in)
	if err != nil {
		return err
	}
	converted := make([]runtime.Object, 0, len(items))
	for _, item := range items {
		o := newItem()
		if err := scheme.Convert(item, o, nil); err != nil {
			return err
		}
		converted = append(converted, o)
	}
	return meta.SetList(out, converted)
}

// structItems returns the Items fields of two lists when both are slices
// of structs.
func structItems(in, out runtime.Object) (inItems, outItems reflect.Value, ok bool) {
	items := func(list runtime.Object) (reflect.Value, bool) {
		v := reflect.ValueOf(list)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		f := v.Elem().FieldByName("Items")
		return f, f.IsValid() && f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct
	}
	inItems, okIn := items(in)
	outItems, okOut := items(out)
	return inItems, outItems, okIn && okOut
}

// addFieldLabelConversion admits metadata.name, metadata.namespace and the
// hub's SelectableFields in field selectors of one version.
func addFieldLabelConversion(scheme *runtime.Scheme, gvk schema.GroupVersionKind, hub Object, clusterScoped bool) error {
	allowed := map[string]bool{"metadata.name": true}
	if !clusterScoped {
		allowed["metadata.namespace"] = true
	}
	if fs, ok := newOf(hub).(FieldSelectable); ok {
		for k := range fs.SelectableFields() {
			allowed[k] = true
		}
	}
	return registry.AddFieldSelectors(scheme, gvk, slices.Collect(maps.Keys(allowed)))
}
