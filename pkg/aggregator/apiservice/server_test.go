package apiservice_test

import (
	"context"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	applyv1 "k8s.io/kube-aggregator/pkg/client/applyconfiguration/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/apiservice/apiservicetest"
)

// TestServedOverHTTP drives the registry the way clients do: through a real
// GenericAPIServer and kube-aggregator's generated clientset.
func TestServedOverHTTP(t *testing.T) {
	server := apiservicetest.StartServer(t)
	apiServices := server.Client.ApiregistrationV1().APIServices()
	ctx := context.Background()

	created, err := apiServices.Create(ctx, &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: "v1alpha1.wardle.example.com"},
		Spec: apiregistrationv1.APIServiceSpec{
			Group: "wardle.example.com", Version: "v1alpha1", GroupPriorityMinimum: 1000, VersionPriority: 15,
			Service:  &apiregistrationv1.ServiceReference{Namespace: "wardle", Name: "api"},
			CABundle: []byte("ca"),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Run("v1 defaults the service port to 443", func(t *testing.T) {
		if p := created.Spec.Service.Port; p == nil || *p != 443 {
			t.Errorf("port = %v, want 443", p)
		}
	})

	t.Run("validation errors are 422 with field paths", func(t *testing.T) {
		bad := created.DeepCopy()
		bad.ResourceVersion = ""
		bad.Name = "v1.other.example.com"
		bad.Spec.InsecureSkipTLSVerify = true
		_, err := apiServices.Create(ctx, bad, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("error = %v, want 422 Invalid", err)
		}
		want := []string{"metadata.name", "spec.insecureSkipTLSVerify"}
		if got := invalidFields(err); !slices.Equal(got, want) {
			t.Errorf("fields = %v, want %v", got, want)
		}
	})

	t.Run("status subresource writes status only", func(t *testing.T) {
		write := created.DeepCopy()
		write.Spec.GroupPriorityMinimum = 1
		write.Status.Conditions = []apiregistrationv1.APIServiceCondition{{
			Type: apiregistrationv1.Available, Status: apiregistrationv1.ConditionTrue, Reason: "Passed", Message: "all checks passed",
		}}
		got, err := apiServices.UpdateStatus(ctx, write, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		if got.Spec.GroupPriorityMinimum != 1000 || len(got.Status.Conditions) != 1 {
			t.Errorf("after status update: spec %+v status %+v", got.Spec, got.Status)
		}
	})

	t.Run("server-side apply of the resource does not touch status", func(t *testing.T) {
		apply := applyv1.APIService("v1alpha1.wardle.example.com").
			WithSpec(applyv1.APIServiceSpec().
				WithGroup("wardle.example.com").WithVersion("v1alpha1").
				WithGroupPriorityMinimum(1500).WithVersionPriority(15).
				WithService(applyv1.ServiceReference().WithNamespace("wardle").WithName("api")).
				WithCABundle([]byte("ca")...)).
			WithStatus(applyv1.APIServiceStatus().WithConditions(applyv1.APIServiceCondition().
				WithType(apiregistrationv1.Available).WithStatus(apiregistrationv1.ConditionFalse).WithReason("Applied")))
		got, err := apiServices.Apply(ctx, apply, metav1.ApplyOptions{FieldManager: "test", Force: true})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if got.Spec.GroupPriorityMinimum != 1500 {
			t.Errorf("spec not applied: %+v", got.Spec)
		}
		if len(got.Status.Conditions) != 1 || got.Status.Conditions[0].Reason != "Passed" {
			t.Errorf("apply changed status to %+v", got.Status)
		}
	})
	t.Run("only metadata fields are selectable", func(t *testing.T) {
		list, err := apiServices.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=v1alpha1.wardle.example.com"})
		if err != nil || len(list.Items) != 1 {
			t.Fatalf("list by metadata.name: %v items, error %v", len(list.Items), err)
		}
		none, err := apiServices.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=v1.nothing.example.com"})
		if err != nil || len(none.Items) != 0 {
			t.Errorf("list by another name: %v items, error %v", len(none.Items), err)
		}
		_, err = apiServices.List(ctx, metav1.ListOptions{FieldSelector: "spec.group=wardle.example.com"})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("list by spec.group: error = %v, want 400", err)
		}
	})
}
