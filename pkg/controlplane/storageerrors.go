package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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

// etcdErrorOptions gives every built-in resource's storage the answers a
// client can act on where etcd's raw gRPC errors would reach it as a 500
// (as they do from kube-apiserver): 413 RequestEntityTooLarge for a write
// over etcd's size limit, one the caller must shrink; 503 with Retry-After
// when etcd has no leader or does not commit within writeTimeout, a write
// the caller should retry, and when a read has waited writeTimeout and
// leader finds no etcd leader (etcdreads.go).
type etcdErrorOptions struct {
	generic.RESTOptionsGetter
	// limit says, in the 413's message, how large a write etcd takes.
	limit string
	// writeTimeout bounds each write's wait on etcd, and is how often a
	// waiting read checks for a leader; 0 leaves both to etcd.
	writeTimeout time.Duration
	leader       *etcdLeaderCheck
}

func (g etcdErrorOptions) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
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
		return &etcdErrorStorage{Interface: inner, limit: g.limit, writeTimeout: g.writeTimeout, leader: g.leader}, destroy, nil
	}
	return opts, nil
}

// etcdErrorStorage bounds and translates the errors of the calls that
// write, and of the reads (etcdreads.go).
type etcdErrorStorage struct {
	storage.Interface
	limit        string
	writeTimeout time.Duration
	leader       *etcdLeaderCheck
}

func (s *etcdErrorStorage) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	w := s.startWrite(ctx)
	defer w.done()
	w.arm()
	return s.translate(w, s.Interface.Create(w.ctx, key, obj, out, ttl))
}

// GuaranteedUpdate's deadline runs only while it waits on etcd, not while
// tryUpdate runs admission (webhooks have their own timeouts).
func (s *etcdErrorStorage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	w := s.startWrite(ctx)
	defer w.done()
	w.arm()
	update := func(input runtime.Object, res storage.ResponseMeta) (runtime.Object, *uint64, error) {
		w.disarm()
		defer w.arm()
		return tryUpdate(input, res)
	}
	return s.translate(w, s.Interface.GuaranteedUpdate(w.ctx, key, destination, ignoreNotFound, preconditions, update, cachedExistingObject))
}

func (s *etcdErrorStorage) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, opts storage.DeleteOptions) error {
	w := s.startWrite(ctx)
	defer w.done()
	w.arm()
	validate := func(ctx context.Context, obj runtime.Object) error {
		w.disarm()
		defer w.arm()
		return validateDeletion(ctx, obj)
	}
	return s.translate(w, s.Interface.Delete(w.ctx, key, out, preconditions, validate, cachedExistingObject, opts))
}

func (s *etcdErrorStorage) translate(w *writeDeadline, err error) error {
	switch {
	case err == nil:
		return nil
	case isEtcdTooLarge(err):
		return apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("the object is too large to store: %s", s.limit))
	case w.expired():
		return etcdUnavailable(fmt.Sprintf("etcd did not commit the write within %s", s.writeTimeout), true)
	case isEtcdUnavailable(err):
		return etcdUnavailable(rpctypes.ErrorDesc(err), strings.Contains(err.Error(), "timed out"))
	}
	return err
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
