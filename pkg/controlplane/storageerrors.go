package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"
)

// tooLargeOptions gives every store built from it a storage that answers
// etcd's refusal of an oversized write with 413 RequestEntityTooLarge.
// Without it the raw gRPC error reaches the client as a 500, as it does
// from kube-apiserver: a write the caller must shrink, not retry.
type tooLargeOptions struct {
	generic.RESTOptionsGetter
	// limit says, in the error message, how large a write etcd takes.
	limit string
}

func (g tooLargeOptions) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	opts, err := g.RESTOptionsGetter.GetRESTOptions(resource, example)
	if err != nil {
		return opts, err
	}
	decorate := opts.Decorator
	opts.Decorator = func(config *storagebackend.ConfigForResource, resourcePrefix string, keyFunc func(runtime.Object) (string, error),
		newFunc, newListFunc func() runtime.Object, attrs storage.AttrFunc, triggers storage.IndexerFuncs, indexers *cache.Indexers,
	) (storage.Interface, factory.DestroyFunc, error) {
		inner, destroy, err := decorate(config, resourcePrefix, keyFunc, newFunc, newListFunc, attrs, triggers, indexers)
		if err != nil {
			return nil, nil, err
		}
		return &tooLargeStorage{Interface: inner, limit: g.limit}, destroy, nil
	}
	return opts, nil
}

// tooLargeStorage translates the errors of the two calls that write.
type tooLargeStorage struct {
	storage.Interface
	limit string
}

func (s *tooLargeStorage) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	return s.translate(s.Interface.Create(ctx, key, obj, out, ttl))
}

func (s *tooLargeStorage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	return s.translate(s.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, tryUpdate, cachedExistingObject))
}

func (s *tooLargeStorage) translate(err error) error {
	if err == nil || !isEtcdTooLarge(err) {
		return err
	}
	return apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("the object is too large to store: %s", s.limit))
}

// isEtcdTooLarge recognises etcd's two refusals of an oversized request:
// its own check against --max-request-bytes, and gRPC's message size limit
// (the client's or the server's) a little above it. ResourceExhausted alone
// is not enough: etcd also uses it for "database space exceeded", which is
// the server's trouble, not the caller's.
func isEtcdTooLarge(err error) bool {
	if errors.Is(err, rpctypes.ErrRequestTooLarge) || errors.Is(err, rpctypes.ErrGRPCRequestTooLarge) {
		return true
	}
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.ResourceExhausted && strings.Contains(st.Message(), "message larger than max")
}
