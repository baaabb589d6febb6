package serviceaccount

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// storeGetter answers rest.Getter calls from an objectStore, reading the
// namespace from the context as generic registry stores do.
type storeGetter struct {
	store *objectStore
	kind  string
}

func (g storeGetter) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	ns, ok := genericapirequest.NamespaceFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no namespace in context")
	}
	switch g.kind {
	case "ServiceAccount":
		return g.store.GetServiceAccount(ctx, ns, name)
	case "Pod":
		return g.store.GetPod(ctx, ns, name)
	}
	return g.store.GetSecret(ctx, ns, name)
}

func TestStorageGetter(t *testing.T) {
	store := newObjectStore()
	store.addServiceAccount("team", "builder", "sa-uid")
	store.addSecret("team", "s", "secret-uid")
	getter := StorageGetter{
		ServiceAccounts: storeGetter{store, "ServiceAccount"},
		Secrets:         storeGetter{store, "Secret"},
		// Pods deliberately points at secrets: a wrong type must not pass.
		Pods: storeGetter{store, "Secret"},
	}
	ctx := context.Background()

	sa, err := getter.GetServiceAccount(ctx, "team", "builder")
	if err != nil || sa.UID != "sa-uid" {
		t.Errorf("GetServiceAccount = %v, %v", sa, err)
	}
	if _, err := getter.GetServiceAccount(ctx, "other", "builder"); !apierrors.IsNotFound(err) {
		t.Errorf("service account of another namespace: want NotFound, got %v", err)
	}
	if secret, err := getter.GetSecret(ctx, "team", "s"); err != nil || secret.UID != "secret-uid" {
		t.Errorf("GetSecret = %v, %v", secret, err)
	}
	if _, err := getter.GetPod(ctx, "team", "s"); err == nil || !strings.Contains(err.Error(), "pods storage returned *v1.Secret") {
		t.Errorf("wrong object type: got %v", err)
	}
	if _, err := (StorageGetter{}).GetPod(ctx, "team", "p"); err == nil {
		t.Errorf("nil storage: want error")
	}
}
