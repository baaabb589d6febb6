package localapis_test

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapiserver "k8s.io/apiserver/pkg/server"
	restclient "k8s.io/client-go/rest"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/helper"

	"github.com/aggkit/aggkit/pkg/aggregator/apiservice/apiservicetest"
	"github.com/aggkit/aggkit/pkg/aggregator/localapis"
)

// TestEnsureAgainstServer runs registration against the real registry: the
// APIServices it writes must pass kube-aggregator's validation, come out
// Available/Local, and a second run must leave every resourceVersion as it was.
func TestEnsureAgainstServer(t *testing.T) {
	server := apiservicetest.StartServer(t)
	apiServices := server.Client.ApiregistrationV1().APIServices()
	ctx := context.Background()

	// Someone aggregated apps/v1 elsewhere, and a user registered rbac by hand.
	port := int32(8443)
	aggregated, err := apiServices.Create(ctx, &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: "v1.apps", Labels: map[string]string{localapis.AutoManagedLabel: localapis.AutoManagedOnStart}},
		Spec: apiregistrationv1.APIServiceSpec{
			Group: "apps", Version: "v1", GroupPriorityMinimum: 100, VersionPriority: 100, InsecureSkipTLSVerify: true,
			Service: &apiregistrationv1.ServiceReference{Namespace: "elsewhere", Name: "apps", Port: &port},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create aggregated apps: %v", err)
	}
	userOwned, err := apiServices.Create(ctx, &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: "v1.rbac.authorization.k8s.io"},
		Spec:       apiregistrationv1.APIServiceSpec{Group: "rbac.authorization.k8s.io", Version: "v1", GroupPriorityMinimum: 1, VersionPriority: 1},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create user-owned rbac: %v", err)
	}

	served := []schema.GroupVersion{
		{Version: "v1"},
		{Group: "apps", Version: "v1"},
		{Group: "rbac.authorization.k8s.io", Version: "v1"},
		{Group: "coordination.k8s.io", Version: "v1"},
		{Group: "aggkit.example.com", Version: "v1beta1"},
	}
	if err := localapis.Ensure(ctx, server.Client, served); err != nil {
		t.Fatalf("Ensure: %v", err)
	}

	notOurs := map[string]string{aggregated.Name: aggregated.ResourceVersion, userOwned.Name: userOwned.ResourceVersion}
	resourceVersions := map[string]string{}
	for _, gv := range served {
		want := localapis.LocalAPIService(gv)
		got, err := apiServices.Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get %s: %v", want.Name, err)
		}
		resourceVersions[got.Name] = got.ResourceVersion
		if before, ok := notOurs[got.Name]; ok {
			if got.ResourceVersion != before {
				t.Errorf("%s was written; it is not ours", got.Name)
			}
			continue
		}
		priority := localapis.PriorityFor(gv)
		if got.Spec.Service != nil || got.Spec.GroupPriorityMinimum != priority.Group || got.Spec.VersionPriority != priority.Version {
			t.Errorf("%s spec = %+v, want local with %+v", got.Name, got.Spec, priority)
		}
		if got.Labels[localapis.AutoManagedLabel] != localapis.AutoManagedOnStart {
			t.Errorf("%s labels = %v", got.Name, got.Labels)
		}
		if !helper.IsAPIServiceConditionTrue(got, apiregistrationv1.Available) {
			t.Errorf("%s status = %+v, want Available", got.Name, got.Status)
		}
	}

	if err := localapis.Ensure(ctx, server.Client, served); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	for name, before := range resourceVersions {
		got, err := apiServices.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		if got.ResourceVersion != before {
			t.Errorf("second Ensure rewrote %s (resourceVersion %s -> %s)", name, before, got.ResourceVersion)
		}
	}

	// The server stops serving coordination.k8s.io/v1.
	if err := localapis.Ensure(ctx, server.Client, served[:3]); err != nil {
		t.Fatalf("Ensure with fewer group/versions: %v", err)
	}
	if _, err := apiServices.Get(ctx, "v1.coordination.k8s.io", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("v1.coordination.k8s.io after it stopped being served: error = %v, want NotFound", err)
	}
	if _, err := apiServices.Get(ctx, aggregated.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("aggregated %s: %v", aggregated.Name, err)
	}
}

func TestPostStartHook(t *testing.T) {
	server := apiservicetest.StartServer(t)
	hook := localapis.PostStartHook([]schema.GroupVersion{{Version: "v1"}})
	err := hook(genericapiserver.PostStartHookContext{LoopbackClientConfig: server.Config, Context: context.Background()})
	if err != nil {
		t.Fatalf("hook: %v", err)
	}
	if _, err := server.Client.ApiregistrationV1().APIServices().Get(context.Background(), "v1.", metav1.GetOptions{}); err != nil {
		t.Errorf("v1. after the hook: %v", err)
	}
}

// A server that stops before registration succeeded must not fail the hook,
// which would be fatal to the process.
func TestPostStartHookServerStopping(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("server stopping"))
	unreachable := &restclient.Config{Host: "http://127.0.0.1:1"}
	hook := localapis.PostStartHook([]schema.GroupVersion{{Version: "v1"}})
	if err := hook(genericapiserver.PostStartHookContext{LoopbackClientConfig: unreachable, Context: ctx}); err != nil {
		t.Errorf("hook while stopping = %v, want nil", err)
	}
}
