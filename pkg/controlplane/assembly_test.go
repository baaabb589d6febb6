package controlplane

import (
	"context"
	"net"
	"path/filepath"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestEveryInformerIsRequestedInNew checks that authorization, admission,
// priority and fairness, the aggregator and every controller have asked the
// shared factory for their informers by the time New returns. The factory
// is started once, by the generic server's post-start hook; post-start
// hooks run concurrently, so an informer asked for in one of them might
// never start. (Default service accounts is the only user of the
// ServiceAccount informer: building that controller in a hook fails here.)
func TestEveryInformerIsRequestedInNew(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	opts := NewOptions()
	opts.DataDir = filepath.Join(t.TempDir(), "aggkit")
	opts.SecureServing.Listener = listener
	opts.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.etcd.Stop()
	defer s.generic.Destroy()

	// Started with a closed channel, each informer asked for so far is
	// recorded as started and stops at once, unsynced.
	stopped := make(chan struct{})
	close(stopped)
	s.Informers.Start(stopped)
	requested := s.Informers.WaitForCacheSync(stopped)
	for _, obj := range []runtime.Object{
		&corev1.Namespace{},                   // admission, namespace deletion, default service accounts
		&corev1.ServiceAccount{},              // default service accounts
		&rbacv1.Role{}, &rbacv1.RoleBinding{}, // RBAC authorizer
		&rbacv1.ClusterRole{},                       // RBAC authorizer, ClusterRole aggregation
		&rbacv1.ClusterRoleBinding{},                // RBAC authorizer
		&corev1.Service{},                           // aggregator: resolver, availability
		&corev1.Endpoints{},                         // aggregator: endpoint routing, availability
		&discoveryv1.EndpointSlice{},                // aggregator: endpoint routing, availability
		&flowcontrolv1.FlowSchema{},                 // priority and fairness
		&flowcontrolv1.PriorityLevelConfiguration{}, // priority and fairness
	} {
		if _, ok := requested[reflect.TypeOf(obj)]; !ok {
			t.Errorf("no informer for %T when New returned", obj)
		}
	}
}
