package deploy

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/utils/ptr"
)

// Priorities of the APIServices: above the built-in groups' minimum range
// for third-party groups, as kube-aggregator's docs suggest, with versions
// ordered by the caller.
const (
	groupPriorityMinimum = 1000
	versionPriority      = 15
)

// apiServices makes one APIService per version, pointing at the Service
// name/namespace and trusting only caBundle.
func apiServices(name, namespace, group string, versions []string, caBundle []byte) []runtime.Object {
	var objs []runtime.Object
	for i, v := range versions {
		objs = append(objs, &apiregistrationv1.APIService{
			TypeMeta:   typeMeta(apiregistrationv1.SchemeGroupVersion.String(), "APIService"),
			ObjectMeta: metav1.ObjectMeta{Name: APIServiceName(group, v), Labels: commonLabels(name)},
			Spec: apiregistrationv1.APIServiceSpec{
				Group:   group,
				Version: v,
				Service: &apiregistrationv1.ServiceReference{Namespace: namespace, Name: name, Port: ptr.To[int32](servicePort)},
				// Never InsecureSkipTLSVerify: the aggregator verifies the
				// server against this CA (kubernetes#60082).
				CABundle:             caBundle,
				GroupPriorityMinimum: groupPriorityMinimum,
				// Earlier versions in the list rank higher.
				VersionPriority: int32(versionPriority + len(versions) - 1 - i),
			},
		})
	}
	return objs
}
