package apiservicetest

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/apiservice"
	"github.com/aggkit/aggkit/pkg/etcd"
)

// NewScheme returns a scheme holding the apiregistration types.
func NewScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	apiservice.Install(scheme)
	return scheme
}

// StartEtcd starts an embedded etcd member in a temporary directory, stops it
// when the test ends, and returns REST options that store apiservices in it
// encoded as apiregistration.k8s.io/v1, as kube-apiserver stores them.
func StartEtcd(t testing.TB, scheme *runtime.Scheme) generic.RESTOptions {
	t.Helper()
	member, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("start embedded etcd: %v", err)
	}
	t.Cleanup(member.Stop)

	codec := serializer.NewCodecFactory(scheme).LegacyCodec(apiregistrationv1.SchemeGroupVersion)
	config := storagebackend.NewDefaultConfig("/registry", codec)
	config.Transport.ServerList = []string{member.ClientURL}
	resource := apiregistration.Resource("apiservices")
	return generic.RESTOptions{
		StorageConfig:  config.ForResource(resource),
		Decorator:      generic.UndecoratedStorage,
		ResourcePrefix: resource.Group + "/" + resource.Resource,
	}
}

// NewStorage starts etcd and returns the apiservices storage on it; the
// storage is destroyed when the test ends, before etcd stops.
func NewStorage(t testing.TB) (*apiservice.REST, *apiservice.StatusREST) {
	t.Helper()
	scheme := NewScheme()
	options := StartEtcd(t, scheme)
	store, status, err := apiservice.NewStorage(scheme, options)
	if err != nil {
		t.Fatalf("apiservices storage: %v", err)
	}
	t.Cleanup(store.Destroy)
	return store, status
}
