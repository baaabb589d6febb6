package apiservice

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metatable "k8s.io/apimachinery/pkg/api/meta/table"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
)

// tableConvertor renders APIServices for `kubectl get apiservices` with
// kube-aggregator's columns: NAME, SERVICE, AVAILABLE, AGE.
type tableConvertor struct{}

var _ rest.TableConvertor = tableConvertor{}

var objectMetaDescriptions = metav1.ObjectMeta{}.SwaggerDoc()

var apiServiceColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: objectMetaDescriptions["name"]},
	{Name: "Service", Type: "string", Description: "The reference to the service that hosts this API endpoint."},
	{Name: "Available", Type: "string", Description: "Whether this service is available."},
	{Name: "Age", Type: "string", Description: objectMetaDescriptions["creationTimestamp"]},
}

// ConvertToTable turns one APIService or a list of them into table rows.
func (tableConvertor) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{ColumnDefinitions: apiServiceColumns}
	if list, err := meta.ListAccessor(obj); err == nil {
		table.ResourceVersion = list.GetResourceVersion()
		table.Continue = list.GetContinue()
		table.RemainingItemCount = list.GetRemainingItemCount()
	} else if item, err := meta.CommonAccessor(obj); err == nil {
		table.ResourceVersion = item.GetResourceVersion()
	}
	rows, err := metatable.MetaToTableRow(obj, func(obj runtime.Object, _ metav1.Object, name, age string) ([]interface{}, error) {
		apiService, ok := obj.(*apiregistration.APIService)
		if !ok {
			return nil, fmt.Errorf("expected an APIService, got %T", obj)
		}
		return []interface{}{name, serviceColumn(apiService), availableColumn(apiService), age}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("apiservices table: %w", err)
	}
	table.Rows = rows
	return table, nil
}

// serviceColumn is "Local" for in-process APIServices and "<ns>/<name>" for
// those served by a Service.
func serviceColumn(apiService *apiregistration.APIService) string {
	if apiService.Spec.Service == nil {
		return "Local"
	}
	return apiService.Spec.Service.Namespace + "/" + apiService.Spec.Service.Name
}

// availableColumn is the Available condition's status, with its reason when
// not True ("False (ServiceNotFound)"), and "Unknown" before any controller
// has reported.
func availableColumn(apiService *apiregistration.APIService) string {
	condition := apiregistration.GetAPIServiceConditionByType(apiService, apiregistration.Available)
	switch {
	case condition == nil:
		return string(apiregistration.ConditionUnknown)
	case condition.Status == apiregistration.ConditionTrue || condition.Reason == "":
		return string(condition.Status)
	default:
		return fmt.Sprintf("%s (%s)", condition.Status, condition.Reason)
	}
}
