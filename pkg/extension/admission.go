package extension

import (
	"context"
	"fmt"
	"io"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Operation is the kind of write being admitted.
type Operation string

// The operations an admission hook sees.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// User is the authenticated caller of a request, as the main API server
// vouched for it (requestheader) or as its client certificate says.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// AdmissionRequest is one write an admission hook may admit, deny or (in a
// mutating hook) change.
type AdmissionRequest struct {
	Operation   Operation
	Kind        string
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	// Object is the new object, of the kind's hub type; a mutating hook may
	// change it in place. Nil for deletes.
	Object runtime.Object
	// OldObject is the stored object on update and delete.
	OldObject runtime.Object
	User      User
	DryRun    bool
	// Reader reads this server's own resources, e.g. to check one object
	// against others.
	Reader Reader
}

// AdmitFunc admits a request by returning nil and denies it by returning an
// error, whose message the client sees after "<resource> is forbidden: ".
// Return a k8s.io/apimachinery/pkg/api/errors error for another status.
type AdmitFunc func(ctx context.Context, req *AdmissionRequest) error

// Reader reads objects of this server's resources, converted into the type
// passed in (any served version).
type Reader interface {
	// Get reads one object into obj; namespace is empty for cluster-scoped
	// resources.
	Get(ctx context.Context, namespace, name string, obj Object) error
	// List reads all objects (in namespace, when not empty) into list.
	List(ctx context.Context, namespace string, list runtime.Object) error
}

// pluginName is the admission plugin that runs the user's hooks. It can be
// disabled with --disable-admission-plugins like any other.
const pluginName = "ExtensionAdmission"

// hookPlugin runs the user's hooks for this server's group.
type hookPlugin struct {
	*admission.Handler
	srv        *Server
	mutating   []AdmitFunc
	validating []AdmitFunc
}

var (
	_ admission.MutationInterface   = &hookPlugin{}
	_ admission.ValidationInterface = &hookPlugin{}
)

func (p *hookPlugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	return p.run(ctx, a, p.mutating)
}

func (p *hookPlugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	return p.run(ctx, a, p.validating)
}

func (p *hookPlugin) run(ctx context.Context, a admission.Attributes, hooks []AdmitFunc) error {
	if a.GetResource().Group != p.srv.group || len(hooks) == 0 {
		return nil
	}
	req := &AdmissionRequest{
		Operation: Operation(a.GetOperation()), Kind: a.GetKind().Kind,
		Resource: a.GetResource().Resource, Subresource: a.GetSubresource(),
		Namespace: a.GetNamespace(), Name: a.GetName(),
		Object: a.GetObject(), OldObject: a.GetOldObject(),
		DryRun: a.IsDryRun(), Reader: storeReader{srv: p.srv},
	}
	if u := a.GetUserInfo(); u != nil {
		req.User = User{Name: u.GetName(), UID: u.GetUID(), Groups: u.GetGroups(), Extra: u.GetExtra()}
	}
	for _, hook := range hooks {
		if err := hook(ctx, req); err != nil {
			if _, isStatus := err.(apierrors.APIStatus); isStatus {
				return err
			}
			return admission.NewForbidden(a, err)
		}
	}
	return nil
}

// storeReader reads straight from the server's registry stores (through the
// watch cache), so hooks need neither a loopback client nor an informer.
type storeReader struct {
	srv *Server
}

func (r storeReader) storage(obj runtime.Object, list bool) (rest.Storage, error) {
	gvks, _, err := r.srv.scheme.ObjectKinds(obj)
	if err != nil {
		return nil, fmt.Errorf("reader: %w", err)
	}
	name := gvks[0].Kind
	if list {
		name = name[:len(name)-len("List")]
	}
	st, ok := r.srv.storages[name]
	if !ok {
		return nil, fmt.Errorf("reader: %s is not a resource of %s", gvks[0].Kind, r.srv.group)
	}
	return st, nil
}

func (r storeReader) Get(ctx context.Context, namespace, name string, obj Object) error {
	st, err := r.storage(obj, false)
	if err != nil {
		return err
	}
	got, err := st.(rest.Getter).Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return err
	}
	return convertInto(r.srv.scheme, got, obj)
}

func (r storeReader) List(ctx context.Context, namespace string, list runtime.Object) error {
	st, err := r.storage(list, true)
	if err != nil {
		return err
	}
	// ResourceVersion "0" serves the list from the watch cache as it is, as
	// an informer would; a consistent list would wait for the cache to catch
	// up with etcd on every admitted write.
	got, err := st.(rest.Lister).List(genericapirequest.WithNamespace(ctx, namespace), &metainternalversion.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return err
	}
	return convertInto(r.srv.scheme, got, list)
}

// convertInto converts between versions, or copies when in and out are of
// the same type (which the scheme does not do by itself).
func convertInto(scheme *runtime.Scheme, in, out runtime.Object) error {
	if reflect.TypeOf(in) == reflect.TypeOf(out) {
		reflect.ValueOf(out).Elem().Set(reflect.ValueOf(in.DeepCopyObject()).Elem())
		return nil
	}
	return scheme.Convert(in, out, nil)
}

func (s *Server) registerAdmission(plugins *admission.Plugins) {
	plugins.Register(pluginName, func(io.Reader) (admission.Interface, error) {
		return s.newHookPlugin(), nil
	})
}

func (s *Server) newHookPlugin() *hookPlugin {
	return &hookPlugin{
		Handler:    admission.NewHandler(admission.Create, admission.Update, admission.Delete),
		srv:        s,
		mutating:   s.mutating,
		validating: s.validating,
	}
}
