package apiservice

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration/validation"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// statusStrategy governs writes to apiservices/status, which only the
// availability controllers are meant to make.
type statusStrategy struct {
	runtime.ObjectTyper
}

var _ rest.UpdateResetFieldsStrategy = statusStrategy{}

func newStatusStrategy(typer runtime.ObjectTyper) statusStrategy {
	return statusStrategy{ObjectTyper: typer}
}

// NamespaceScoped is false: APIServices are cluster-scoped.
func (statusStrategy) NamespaceScoped() bool { return false }

// GetResetFields drops spec and metadata from status writes, mirroring
// PrepareForUpdate for server-side apply.
func (statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		servedVersion: fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("metadata"),
		),
	}
}

// PrepareForUpdate keeps everything but status from the stored object, so a
// status writer cannot change what the APIService points at or who owns it.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	apiService := obj.(*apiregistration.APIService)
	stored := old.(*apiregistration.APIService)
	apiService.Spec = stored.Spec
	apiService.Labels = stored.Labels
	apiService.Annotations = stored.Annotations
	apiService.Finalizers = stored.Finalizers
	apiService.OwnerReferences = stored.OwnerReferences
}

// ValidateUpdate applies kube-aggregator's status validation: each
// condition's status must be True, False or Unknown.
func (statusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateAPIServiceStatusUpdate(ctx, obj.(*apiregistration.APIService), old.(*apiregistration.APIService))
}

// WarningsOnUpdate returns nothing.
func (statusStrategy) WarningsOnUpdate(_ context.Context, _, _ runtime.Object) []string { return nil }

// Canonicalize has nothing to normalise.
func (statusStrategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false: a subresource never creates its parent.
func (statusStrategy) AllowCreateOnUpdate(context.Context) bool { return false }

// AllowUnconditionalUpdate is false: status writers must send the
// resourceVersion they read, so replicas probing from different places do
// not overwrite each other blindly.
func (statusStrategy) AllowUnconditionalUpdate(context.Context) bool { return false }
