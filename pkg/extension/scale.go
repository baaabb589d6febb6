package extension

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// scaleGVK is the kind /scale speaks, whatever the parent's group.
var scaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

// addScaleToScheme registers autoscaling/v1 Scale, with the same Go type
// standing in for the internal version (as hubs do for the user's kinds).
func addScaleToScheme(scheme *runtime.Scheme) {
	metav1.AddToGroupVersion(scheme, autoscalingv1.SchemeGroupVersion)
	scheme.AddKnownTypes(autoscalingv1.SchemeGroupVersion, &autoscalingv1.Scale{})
	internal := schema.GroupVersion{Group: autoscalingv1.GroupName, Version: runtime.APIVersionInternal}
	scheme.AddKnownTypeWithName(internal.WithKind("Scale"), &autoscalingv1.Scale{})
}

// scaleREST serves /scale of a kind whose hub implements ScaleSubresource,
// reading and writing the parent object through its registry store.
type scaleREST struct {
	store *genericregistry.Store
	gr    schema.GroupResource
}

func newScaleREST(parent *storedResource) *scaleREST {
	return &scaleREST{store: parent.Store, gr: parent.Store.DefaultQualifiedResource}
}

var (
	_ rest.Getter                   = &scaleREST{}
	_ rest.Updater                  = &scaleREST{}
	_ rest.GroupVersionKindProvider = &scaleREST{}
)

func (r *scaleREST) New() runtime.Object { return &autoscalingv1.Scale{} }

// Destroy does nothing: the parent resource owns the storage.
func (r *scaleREST) Destroy() {}

// GroupVersionKind makes the installer publish and encode autoscaling/v1
// Scale instead of the parent's kind.
func (r *scaleREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind { return scaleGVK }

func (r *scaleREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := r.store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	return scaleOf(obj)
}

func (r *scaleREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	obj, _, err := r.store.Update(ctx, name, &scaledObjectInfo{gr: r.gr, name: name, scale: objInfo},
		validateAsScale(createValidation), validateUpdateAsScale(updateValidation), false, options)
	if err != nil {
		return nil, false, err
	}
	scale, err := scaleOf(obj)
	return scale, false, err
}

// scaleOf reads the Scale view of a stored object.
func scaleOf(obj runtime.Object) (*autoscalingv1.Scale, error) {
	s, ok := obj.(ScaleSubresource)
	if !ok {
		return nil, fmt.Errorf("%T has no scale subresource", obj)
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	spec, status, selector := s.ScaleReplicas()
	return &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{APIVersion: scaleGVK.GroupVersion().String(), Kind: scaleGVK.Kind},
		ObjectMeta: metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp()},
		Spec:   autoscalingv1.ScaleSpec{Replicas: spec},
		Status: autoscalingv1.ScaleStatus{Replicas: status, Selector: selector},
	}, nil
}

// scaledObjectInfo turns the client's new Scale into the new parent object:
// the stored object with only the desired replicas changed, carrying the
// Scale's resourceVersion so that the store checks it as a precondition.
type scaledObjectInfo struct {
	gr    schema.GroupResource
	name  string
	scale rest.UpdatedObjectInfo
}

func (i *scaledObjectInfo) Preconditions() *metav1.Preconditions { return i.scale.Preconditions() }

func (i *scaledObjectInfo) UpdatedObject(ctx context.Context, old runtime.Object) (runtime.Object, error) {
	if old == nil {
		return nil, apierrors.NewNotFound(i.gr, i.name)
	}
	oldScale, err := scaleOf(old)
	if err != nil {
		return nil, err
	}
	updated, err := i.scale.UpdatedObject(ctx, oldScale)
	if err != nil {
		return nil, err
	}
	scale, ok := updated.(*autoscalingv1.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected an autoscaling/v1 Scale, got %T", updated))
	}
	if scale.Spec.Replicas < 0 {
		return nil, apierrors.NewInvalid(scaleGVK.GroupKind(), i.name, field.ErrorList{
			field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, "must be greater than or equal to 0")})
	}
	if scale.Name != "" && scale.Name != i.name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("scale name %q does not match %q", scale.Name, i.name))
	}
	obj := old.DeepCopyObject()
	obj.(ScaleSubresource).SetSpecReplicas(scale.Spec.Replicas)
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	// An empty resourceVersion is an unconditional update, as for any object.
	m.SetResourceVersion(scale.ResourceVersion)
	return obj, nil
}

// validateAsScale and validateUpdateAsScale show admission the Scale the
// client sent rather than the parent object.
func validateAsScale(v rest.ValidateObjectFunc) rest.ValidateObjectFunc {
	if v == nil {
		return nil
	}
	return func(ctx context.Context, obj runtime.Object) error {
		scale, err := scaleOf(obj)
		if err != nil {
			return err
		}
		return v(ctx, scale)
	}
}

func validateUpdateAsScale(v rest.ValidateObjectUpdateFunc) rest.ValidateObjectUpdateFunc {
	if v == nil {
		return nil
	}
	return func(ctx context.Context, obj, old runtime.Object) error {
		scale, err := scaleOf(obj)
		if err != nil {
			return err
		}
		oldScale, err := scaleOf(old)
		if err != nil {
			return err
		}
		return v(ctx, scale, oldScale)
	}
}

// anyScaled says whether some stored kind serves /scale.
func anyScaled(kinds []*kind) bool {
	for _, k := range kinds {
		if _, ok := k.hub().(ScaleSubresource); ok && k.computed == nil {
			return true
		}
	}
	return false
}

func (s *Server) scaled() bool { return anyScaled(s.kinds) }
