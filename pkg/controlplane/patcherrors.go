package controlplane

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	apirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/aggkit/aggkit/pkg/aggregator/apiservice"
	"github.com/aggkit/aggkit/pkg/rbac/escalation"
)

// patchErrors makes a failure to apply a patch to the stored object a 400
// BadRequest. k8s.io/apiserver gives 400 or 422 for the strategic merge
// patch errors it knows (a malformed primitive list, retainKeys,
// setElementOrder) and passes the others through as 500s: an unknown
// $patch directive, a list element that is not a map, a missing merge key.
// Each is the patch's fault, as those are; 400 like its siblings.
//
// Only PATCH requests are wrapped: there, an error that is not already an
// API status comes out of applying the patch (the admission and field
// manager steps after it answer with statuses).
func patchErrors(ctx context.Context, objInfo rest.UpdatedObjectInfo) rest.UpdatedObjectInfo {
	if info, ok := apirequest.RequestInfoFrom(ctx); !ok || info.Verb != "patch" {
		return objInfo
	}
	return patchErrorInfo{objInfo}
}

type patchErrorInfo struct{ rest.UpdatedObjectInfo }

func (p patchErrorInfo) UpdatedObject(ctx context.Context, old runtime.Object) (runtime.Object, error) {
	obj, err := p.UpdatedObjectInfo.UpdatedObject(ctx, old)
	var status apierrors.APIStatus
	if err != nil && !errors.As(err, &status) && ctx.Err() == nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the patch cannot be applied: %v", err))
	}
	return obj, err
}

// Update applies patchErrors to every write of a built-in resource.
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.Store.Update(ctx, name, patchErrors(ctx, objInfo), createValidation, updateValidation, forceAllowCreate, options)
}

// The storages below come from other packages; these wrappers keep every
// method of theirs and add patchErrors to Update.

type escalationREST struct{ *escalation.Storage }

func (r escalationREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.Storage.Update(ctx, name, patchErrors(ctx, objInfo), createValidation, updateValidation, forceAllowCreate, options)
}

type apiServiceREST struct{ *apiservice.REST }

func (r apiServiceREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.REST.Update(ctx, name, patchErrors(ctx, objInfo), createValidation, updateValidation, forceAllowCreate, options)
}

type apiServiceStatusREST struct{ *apiservice.StatusREST }

func (r apiServiceStatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.StatusREST.Update(ctx, name, patchErrors(ctx, objInfo), createValidation, updateValidation, forceAllowCreate, options)
}

// withPatchErrors wraps the apiservices storages NewAPIGroupInfo built.
func withPatchErrors(paths map[string]rest.Storage) {
	for path, st := range paths {
		switch st := st.(type) {
		case *apiservice.REST:
			paths[path] = apiServiceREST{st}
		case *apiservice.StatusREST:
			paths[path] = apiServiceStatusREST{st}
		}
	}
}
