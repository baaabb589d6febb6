package apiservice

import (
	"fmt"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
)

// getAttrs gives the labels and the selectable fields of an APIService for
// list and watch selectors. Only metadata fields are selectable, as in
// kube-aggregator; it includes metadata.namespace (always empty) as
// kube-aggregator does, so selectors that name it keep working.
func getAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	apiService, ok := obj.(*apiregistration.APIService)
	if !ok {
		return nil, nil, fmt.Errorf("expected an APIService, got %T", obj)
	}
	return labels.Set(apiService.Labels), generic.ObjectMetaFieldsSet(&apiService.ObjectMeta, true), nil
}
