package apiservice

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration/validation"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// servedVersion is the only apiregistration version whose storage aggkit
// installs, as kube-aggregator installs only v1; reset fields are keyed by it.
const servedVersion fieldpath.APIVersion = "apiregistration.k8s.io/v1"

// specStrategy governs create, update and delete of whole APIServices. It
// works on the internal types; conversion happens in the generic registry.
type specStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

var (
	_ rest.CreateUpdateResetFieldsStrategy = specStrategy{}
	_ rest.RESTDeleteStrategy              = specStrategy{}
)

func newSpecStrategy(typer runtime.ObjectTyper) specStrategy {
	return specStrategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator}
}

// NamespaceScoped is false: APIServices are cluster-scoped.
func (specStrategy) NamespaceScoped() bool { return false }

// GetResetFields drops status from spec writes, so a server-side apply of
// the main resource never claims ownership of status fields.
func (specStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		servedVersion: fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

// PrepareForCreate ignores any status the client sent. A local APIService
// (no spec.service) has nothing to probe, so it is marked Available at once,
// as kube-aggregator's strategy does; remote ones wait for the availability
// controller.
func (specStrategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	apiService := obj.(*apiregistration.APIService)
	apiService.Status = apiregistration.APIServiceStatus{}
	if apiService.Spec.Service == nil {
		apiregistration.SetAPIServiceCondition(apiService, apiregistration.NewLocalAvailableAPIServiceCondition())
	}
}

// PrepareForUpdate keeps the stored status: only the status subresource
// changes it.
func (specStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	obj.(*apiregistration.APIService).Status = old.(*apiregistration.APIService).Status
}

// Validate applies kube-aggregator's create validation.
func (specStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateAPIService(ctx, obj.(*apiregistration.APIService))
}

// ValidateUpdate applies kube-aggregator's update validation.
func (specStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateAPIServiceUpdate(ctx, obj.(*apiregistration.APIService), old.(*apiregistration.APIService))
}

// WarningsOnCreate returns nothing: no APIService field is deprecated.
func (specStrategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }

// WarningsOnUpdate returns nothing: no APIService field is deprecated.
func (specStrategy) WarningsOnUpdate(_ context.Context, _, _ runtime.Object) []string { return nil }

// Canonicalize has nothing to normalise.
func (specStrategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false: a PUT to a missing APIService is NotFound.
func (specStrategy) AllowCreateOnUpdate(context.Context) bool { return false }

// AllowUnconditionalUpdate is false: an update must carry a resourceVersion,
// so two writers (several aggkit replicas, a user) never silently overwrite
// each other.
func (specStrategy) AllowUnconditionalUpdate(context.Context) bool { return false }
