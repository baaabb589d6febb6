package apiservice

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration/install"
)

// Install adds the apiregistration.k8s.io types (internal, v1 and v1beta1,
// with their defaults and conversions) to scheme and makes v1 the preferred
// version. It stands for kube-aggregator's install.Install; the storage in
// this package needs those types in the scheme it is given.
func Install(scheme *runtime.Scheme) {
	install.Install(scheme)
}
