package escalation

import (
	"context"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/aggkit/aggkit/pkg/etcd"
)

// rbacStores are real generic registry stores for the four RBAC resources,
// on an embedded etcd, the way aggkit serve stores them (rbac/v1 types
// registered as the internal version too).
type rbacStores struct {
	roles, clusterRoles, roleBindings, clusterRoleBindings *genericregistry.Store
}

func newRBACStores(t *testing.T) rbacStores {
	t.Helper()
	member, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(member.Stop)

	scheme := runtime.NewScheme()
	if err := rbacv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	scheme.AddKnownTypes(schema.GroupVersion{Group: rbacv1.GroupName, Version: runtime.APIVersionInternal},
		&rbacv1.Role{}, &rbacv1.RoleList{}, &rbacv1.ClusterRole{}, &rbacv1.ClusterRoleList{},
		&rbacv1.RoleBinding{}, &rbacv1.RoleBindingList{}, &rbacv1.ClusterRoleBinding{}, &rbacv1.ClusterRoleBindingList{})
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	codec := serializer.NewCodecFactory(scheme).LegacyCodec(rbacv1.SchemeGroupVersion)
	config := storagebackend.NewDefaultConfig("/registry", codec)
	config.Transport.ServerList = []string{member.ClientURL}

	newStore := func(resource schema.GroupResource, singular string, namespaced bool, newObj, newList func() runtime.Object) *genericregistry.Store {
		strategy := testStrategy{ObjectTyper: scheme, namespaced: namespaced}
		store := &genericregistry.Store{
			NewFunc:                   newObj,
			NewListFunc:               newList,
			DefaultQualifiedResource:  resource,
			SingularQualifiedResource: schema.GroupResource{Group: resource.Group, Resource: singular},
			CreateStrategy:            strategy,
			UpdateStrategy:            strategy,
			DeleteStrategy:            strategy,
			TableConvertor:            rest.NewDefaultTableConvertor(resource),
		}
		options := &generic.StoreOptions{RESTOptions: generic.RESTOptions{
			StorageConfig:  config.ForResource(resource),
			Decorator:      generic.UndecoratedStorage,
			ResourcePrefix: resource.Group + "/" + resource.Resource,
		}}
		if err := store.CompleteWithOptions(options); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(store.Destroy)
		return store
	}
	return rbacStores{
		roles: newStore(rolesResource, "role", true,
			func() runtime.Object { return &rbacv1.Role{} }, func() runtime.Object { return &rbacv1.RoleList{} }),
		clusterRoles: newStore(clusterRolesResource, "clusterrole", false,
			func() runtime.Object { return &rbacv1.ClusterRole{} }, func() runtime.Object { return &rbacv1.ClusterRoleList{} }),
		roleBindings: newStore(roleBindingsResource, "rolebinding", true,
			func() runtime.Object { return &rbacv1.RoleBinding{} }, func() runtime.Object { return &rbacv1.RoleBindingList{} }),
		clusterRoleBindings: newStore(clusterRoleBindingsResource, "clusterrolebinding", false,
			func() runtime.Object { return &rbacv1.ClusterRoleBinding{} }, func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} }),
	}
}

// testStrategy stores what it is given; validation is not under test here.
type testStrategy struct {
	runtime.ObjectTyper
	namespaced bool
}

func (s testStrategy) GenerateName(base string) string {
	return names.SimpleNameGenerator.GenerateName(base)
}
func (s testStrategy) NamespaceScoped() bool                                          { return s.namespaced }
func (testStrategy) PrepareForCreate(context.Context, runtime.Object)                 {}
func (testStrategy) Validate(context.Context, runtime.Object) field.ErrorList         { return nil }
func (testStrategy) WarningsOnCreate(context.Context, runtime.Object) []string        { return nil }
func (testStrategy) Canonicalize(runtime.Object)                                      {}
func (testStrategy) AllowCreateOnUpdate(context.Context) bool                         { return false }
func (testStrategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}
func (testStrategy) ValidateUpdate(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return nil
}
func (testStrategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}
func (testStrategy) AllowUnconditionalUpdate(context.Context) bool { return true }
