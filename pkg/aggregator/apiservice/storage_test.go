package apiservice_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/aggkit/aggkit/pkg/aggregator/apiservice/apiservicetest"
)

func localAPIService(version, group string) *apiregistration.APIService {
	return &apiregistration.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: version + "." + group},
		Spec: apiregistration.APIServiceSpec{
			Group: group, Version: version, GroupPriorityMinimum: 1000, VersionPriority: 15,
		},
	}
}

func remoteAPIService(version, group string) *apiregistration.APIService {
	apiService := localAPIService(version, group)
	apiService.Spec.Service = &apiregistration.ServiceReference{Namespace: "wardle", Name: "api", Port: 443}
	apiService.Spec.CABundle = []byte("-----BEGIN CERTIFICATE-----")
	return apiService
}

func create(ctx context.Context, t *testing.T, store rest.Creater, apiService *apiregistration.APIService) *apiregistration.APIService {
	t.Helper()
	out, err := store.Create(ctx, apiService, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", apiService.Name, err)
	}
	return out.(*apiregistration.APIService)
}

func TestCreateSetsStatus(t *testing.T) {
	store, _ := apiservicetest.NewStorage(t)
	ctx := clusterContext()

	local := localAPIService("v1", "local.example.com")
	// A client-sent status must not survive create.
	local.Status.Conditions = []apiregistration.APIServiceCondition{{Type: apiregistration.Available, Status: apiregistration.ConditionFalse, Reason: "Lie"}}
	gotLocal := create(ctx, t, store, local)
	available := apiregistration.GetAPIServiceConditionByType(gotLocal, apiregistration.Available)
	if len(gotLocal.Status.Conditions) != 1 || available == nil || available.Status != apiregistration.ConditionTrue ||
		available.Reason != "Local" || available.Message != "Local APIServices are always available" {
		t.Errorf("local APIService status = %+v, want only Available=True reason Local", gotLocal.Status)
	}

	remote := remoteAPIService("v1alpha1", "wardle.example.com")
	remote.Status.Conditions = []apiregistration.APIServiceCondition{{Type: apiregistration.Available, Status: apiregistration.ConditionTrue, Reason: "Lie"}}
	gotRemote := create(ctx, t, store, remote)
	if len(gotRemote.Status.Conditions) != 0 {
		t.Errorf("remote APIService status = %+v, want empty until a controller probes it", gotRemote.Status)
	}

	// What was returned is what was stored.
	stored, err := store.Get(ctx, remote.Name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if s := stored.(*apiregistration.APIService); s.Spec.Service == nil || s.Spec.Service.Name != "api" || !bytes.Equal(s.Spec.CABundle, remote.Spec.CABundle) {
		t.Errorf("stored spec = %+v, want the created one", s.Spec)
	}
}

func TestCreateValidation(t *testing.T) {
	store, _ := apiservicetest.NewStorage(t)
	ctx := clusterContext()

	tests := []struct {
		name       string
		mutate     func(*apiregistration.APIService)
		wantFields []string
	}{
		{
			name:       "name is not version.group",
			mutate:     func(a *apiregistration.APIService) { a.Name = "v1.other.example.com" },
			wantFields: []string{"metadata.name"},
		},
		{
			name:       "empty group needs version v1",
			mutate:     func(a *apiregistration.APIService) { a.Spec.Group = ""; a.Spec.Version = "v2"; a.Name = "v2." },
			wantFields: []string{"spec.group"},
		},
		{
			name:       "group priority zero",
			mutate:     func(a *apiregistration.APIService) { a.Spec.GroupPriorityMinimum = 0 },
			wantFields: []string{"spec.groupPriorityMinimum"},
		},
		{
			name:       "group priority above 20000",
			mutate:     func(a *apiregistration.APIService) { a.Spec.GroupPriorityMinimum = 20001 },
			wantFields: []string{"spec.groupPriorityMinimum"},
		},
		{
			name:       "version priority above 1000",
			mutate:     func(a *apiregistration.APIService) { a.Spec.VersionPriority = 1001 },
			wantFields: []string{"spec.versionPriority"},
		},
		{
			name: "caBundle together with insecureSkipTLSVerify",
			mutate: func(a *apiregistration.APIService) {
				a.Spec.Service = &apiregistration.ServiceReference{Namespace: "ns", Name: "svc", Port: 443}
				a.Spec.CABundle = []byte("ca")
				a.Spec.InsecureSkipTLSVerify = true
			},
			wantFields: []string{"spec.insecureSkipTLSVerify"},
		},
		{
			name: "service port out of range",
			mutate: func(a *apiregistration.APIService) {
				a.Spec.Service = &apiregistration.ServiceReference{Namespace: "ns", Name: "svc", Port: 65536}
			},
			wantFields: []string{"spec.service.port"},
		},
		{
			name: "service without namespace and name",
			mutate: func(a *apiregistration.APIService) {
				a.Spec.Service = &apiregistration.ServiceReference{Port: 443}
			},
			wantFields: []string{"spec.service.namespace", "spec.service.name"},
		},
		{
			name:       "local APIService with a caBundle",
			mutate:     func(a *apiregistration.APIService) { a.Spec.CABundle = []byte("ca") },
			wantFields: []string{"spec.caBundle"},
		},
		{
			name:       "local APIService skipping TLS verification",
			mutate:     func(a *apiregistration.APIService) { a.Spec.InsecureSkipTLSVerify = true },
			wantFields: []string{"spec.insecureSkipTLSVerify"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			apiService := localAPIService("v1", "invalid.example.com")
			tc.mutate(apiService)
			_, err := store.Create(ctx, apiService, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) {
				t.Fatalf("create error = %v, want 422 Invalid", err)
			}
			if got := invalidFields(err); !slices.Equal(got, tc.wantFields) {
				t.Errorf("invalid fields = %v, want %v (error: %v)", got, tc.wantFields, err)
			}
		})
	}
}

// invalidFields lists the field paths named by an Invalid error's causes.
func invalidFields(err error) []string {
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil {
		return nil
	}
	var fields []string
	for _, cause := range status.Status().Details.Causes {
		fields = append(fields, cause.Field)
	}
	return fields
}

func TestUpdateKeepsStatus(t *testing.T) {
	store, _ := apiservicetest.NewStorage(t)
	ctx := clusterContext()
	created := create(ctx, t, store, remoteAPIService("v1", "wardle.example.com"))

	changed := created.DeepCopy()
	changed.Spec.GroupPriorityMinimum = 2000
	changed.Labels = map[string]string{"team": "wardle"}
	changed.Status.Conditions = []apiregistration.APIServiceCondition{{Type: apiregistration.Available, Status: apiregistration.ConditionTrue, Reason: "Lie"}}
	updated, _, err := store.Update(ctx, changed.Name, rest.DefaultUpdatedObjectInfo(changed),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	got := updated.(*apiregistration.APIService)
	if got.Spec.GroupPriorityMinimum != 2000 || got.Labels["team"] != "wardle" {
		t.Errorf("update lost spec or labels: %+v %v", got.Spec, got.Labels)
	}
	if len(got.Status.Conditions) != 0 {
		t.Errorf("update changed status to %+v; only apiservices/status may", got.Status)
	}
}

func TestUpdateSemantics(t *testing.T) {
	store, _ := apiservicetest.NewStorage(t)
	ctx := clusterContext()
	created := create(ctx, t, store, localAPIService("v1", "semantics.example.com"))

	tests := []struct {
		name    string
		object  func() *apiregistration.APIService
		wantErr func(error) bool
	}{
		{
			name: "PUT to a missing APIService does not create it",
			object: func() *apiregistration.APIService {
				return localAPIService("v1", "missing.example.com")
			},
			wantErr: apierrors.IsNotFound,
		},
		{
			name: "update without resourceVersion is refused",
			object: func() *apiregistration.APIService {
				o := created.DeepCopy()
				o.ResourceVersion = ""
				return o
			},
			wantErr: apierrors.IsInvalid,
		},
		{
			name: "update from a stale resourceVersion conflicts",
			object: func() *apiregistration.APIService {
				o := created.DeepCopy()
				o.ResourceVersion = "1"
				return o
			},
			wantErr: apierrors.IsConflict,
		},
		{
			name: "update is validated",
			object: func() *apiregistration.APIService {
				o := created.DeepCopy()
				o.Spec.VersionPriority = 0
				return o
			},
			wantErr: apierrors.IsInvalid,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.object()
			// forceAllowCreate false: what the PUT handler passes.
			_, _, err := store.Update(ctx, o.Name, rest.DefaultUpdatedObjectInfo(o),
				rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
			if !tc.wantErr(err) {
				t.Errorf("update error = %v", err)
			}
		})
	}
}

func TestStatusUpdate(t *testing.T) {
	store, status := apiservicetest.NewStorage(t)
	ctx := clusterContext()
	created := create(ctx, t, store, remoteAPIService("v1", "wardle.example.com"))

	// A status writer tries to change everything; only status may stick.
	write := created.DeepCopy()
	write.Spec.GroupPriorityMinimum = 5
	write.Spec.Service.Name = "elsewhere"
	write.Labels = map[string]string{"sneaky": "true"}
	write.Annotations = map[string]string{"sneaky": "true"}
	write.Finalizers = []string{"example.com/sneaky"}
	write.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "u"}}
	write.Status.Conditions = []apiregistration.APIServiceCondition{{
		Type: apiregistration.Available, Status: apiregistration.ConditionFalse,
		Reason: "ServiceNotFound", Message: `service/api in "wardle" is not present`,
	}}
	out, _, err := status.Update(ctx, write.Name, rest.DefaultUpdatedObjectInfo(write),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, true, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("status update: %v", err)
	}
	got := out.(*apiregistration.APIService)
	if got.Spec.GroupPriorityMinimum != created.Spec.GroupPriorityMinimum || got.Spec.Service.Name != "api" {
		t.Errorf("status update changed spec to %+v", got.Spec)
	}
	if len(got.Labels) != 0 || len(got.Annotations) != 0 || len(got.Finalizers) != 0 || len(got.OwnerReferences) != 0 {
		t.Errorf("status update changed metadata: labels %v annotations %v finalizers %v owners %v",
			got.Labels, got.Annotations, got.Finalizers, got.OwnerReferences)
	}
	if c := apiregistration.GetAPIServiceConditionByType(got, apiregistration.Available); c == nil || c.Reason != "ServiceNotFound" {
		t.Errorf("status = %+v, want the written condition", got.Status)
	}

	t.Run("condition status must be True, False or Unknown", func(t *testing.T) {
		bad := got.DeepCopy()
		bad.Status.Conditions[0].Status = "Maybe"
		_, _, err := status.Update(ctx, bad.Name, rest.DefaultUpdatedObjectInfo(bad),
			rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
		if !apierrors.IsInvalid(err) || !slices.Equal(invalidFields(err), []string{"status.conditions[0].status"}) {
			t.Errorf("status update error = %v, want Invalid on status.conditions[0].status", err)
		}
	})
	t.Run("status never creates", func(t *testing.T) {
		missing := remoteAPIService("v1", "missing.example.com")
		_, _, err := status.Update(ctx, missing.Name, rest.DefaultUpdatedObjectInfo(missing),
			rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, true, &metav1.UpdateOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("status update of a missing APIService: error = %v, want NotFound", err)
		}
	})
}

func TestResetFields(t *testing.T) {
	store, status := apiservicetest.NewStorage(t)
	spec := store.GetResetFields()["apiregistration.k8s.io/v1"]
	if spec == nil || spec.String() != ".status" {
		t.Errorf("spec reset fields = %v, want .status", spec)
	}
	statusFields := status.GetResetFields()["apiregistration.k8s.io/v1"]
	if statusFields == nil || !statusFields.Has(pathOf("spec")) || !statusFields.Has(pathOf("metadata")) || statusFields.Has(pathOf("status")) {
		t.Errorf("status reset fields = %v, want spec and metadata", statusFields)
	}
}

func TestCategoriesAndTable(t *testing.T) {
	store, _ := apiservicetest.NewStorage(t)
	ctx := clusterContext()
	if got := store.Categories(); !slices.Equal(got, []string{"api-extensions"}) {
		t.Errorf("categories = %v", got)
	}
	create(ctx, t, store, localAPIService("v1", "local.example.com"))
	create(ctx, t, store, remoteAPIService("v1", "wardle.example.com"))
	list, err := store.List(ctx, nil)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	table, err := store.ConvertToTable(ctx, list, nil)
	if err != nil {
		t.Fatalf("table: %v", err)
	}
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name)
	}
	if !slices.Equal(columns, []string{"Name", "Service", "Available", "Age"}) {
		t.Errorf("columns = %v", columns)
	}
	want := map[string][]interface{}{
		"v1.local.example.com":  {"v1.local.example.com", "Local", "True"},
		"v1.wardle.example.com": {"v1.wardle.example.com", "wardle/api", "Unknown"},
	}
	if len(table.Rows) != len(want) {
		t.Fatalf("rows = %v", table.Rows)
	}
	for _, row := range table.Rows {
		w := want[row.Cells[0].(string)]
		if !slices.Equal(row.Cells[:3], w) {
			t.Errorf("row = %v, want %v", row.Cells[:3], w)
		}
		if _, ok := row.Object.Object.(runtime.Object); !ok {
			t.Errorf("row %v has no object", row.Cells[0])
		}
	}
	if table.ResourceVersion == "" {
		t.Errorf("table has no resourceVersion")
	}
}

func pathOf(field string) fieldpath.Path { return fieldpath.MakePathOrDie(field) }

func TestTableAvailableColumn(t *testing.T) {
	store, _ := apiservicetest.NewStorage(t)
	ctx := clusterContext()
	tests := []struct {
		name      string
		condition *apiregistration.APIServiceCondition
		want      string
	}{
		{name: "no condition yet", want: "Unknown"},
		{name: "available", condition: &apiregistration.APIServiceCondition{Status: apiregistration.ConditionTrue, Reason: "Passed"}, want: "True"},
		{name: "unavailable with reason", condition: &apiregistration.APIServiceCondition{Status: apiregistration.ConditionFalse, Reason: "FailedDiscoveryCheck"}, want: "False (FailedDiscoveryCheck)"},
		{name: "unavailable without reason", condition: &apiregistration.APIServiceCondition{Status: apiregistration.ConditionFalse}, want: "False"},
		{name: "unknown with reason", condition: &apiregistration.APIServiceCondition{Status: apiregistration.ConditionUnknown, Reason: "ServiceAccessError"}, want: "Unknown (ServiceAccessError)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			apiService := remoteAPIService("v1", "wardle.example.com")
			if tc.condition != nil {
				tc.condition.Type = apiregistration.Available
				apiService.Status.Conditions = []apiregistration.APIServiceCondition{*tc.condition}
			}
			table, err := store.ConvertToTable(ctx, apiService, nil)
			if err != nil {
				t.Fatalf("table: %v", err)
			}
			if len(table.Rows) != 1 || table.Rows[0].Cells[2] != tc.want {
				t.Errorf("rows = %v, want Available %q", table.Rows, tc.want)
			}
		})
	}
}

// clusterContext is the request context the API handlers give a
// cluster-scoped resource: no namespace.
func clusterContext() context.Context {
	return genericapirequest.WithNamespace(genericapirequest.NewContext(), metav1.NamespaceNone)
}
