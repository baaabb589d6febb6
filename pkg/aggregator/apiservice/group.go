package apiservice

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// NewAPIGroupInfo returns the apiregistration.k8s.io group ready for
// GenericAPIServer.InstallAPIGroup: version v1 with apiservices and
// apiservices/status. Like kube-aggregator it serves v1 only; v1beta1 stays
// in the scheme so that stored objects written by old servers still decode.
func NewAPIGroupInfo(scheme *runtime.Scheme, codecs serializer.CodecFactory, optsGetter generic.RESTOptionsGetter) (*genericapiserver.APIGroupInfo, error) {
	if !scheme.IsVersionRegistered(apiregistrationv1.SchemeGroupVersion) {
		return nil, fmt.Errorf("scheme lacks %s: call apiservice.Install first", apiregistrationv1.SchemeGroupVersion)
	}
	apiServices, status, err := NewStorage(scheme, optsGetter)
	if err != nil {
		return nil, err
	}
	info := genericapiserver.NewDefaultAPIGroupInfo(apiregistration.GroupName, scheme, runtime.NewParameterCodec(scheme), codecs)
	info.VersionedResourcesStorageMap[apiregistrationv1.SchemeGroupVersion.Version] = map[string]rest.Storage{
		"apiservices":        apiServices,
		"apiservices/status": status,
	}
	return &info, nil
}
