package controlplane

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	endpointsfilters "k8s.io/apiserver/pkg/endpoints/filters"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	apirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/notfoundhandler"
)

// notFound is the end of the delegation chain. kube-apiserver answers an
// unknown path with a plain-text "404 page not found"; clients decode a
// Status, so aggkit answers with one. Until every path is installed it
// answers 503 with Retry-After, as kube-apiserver does, so clients retry.
func notFound(codecs serializer.CodecFactory) genericapiserver.DelegationTarget {
	starting := notfoundhandler.New(codecs, endpointsfilters.NoMuxAndDiscoveryIncompleteKey)
	return genericapiserver.NewEmptyDelegateWithCustomHandler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !endpointsfilters.NoMuxAndDiscoveryIncompleteKey(req.Context()) {
			starting.ServeHTTP(w, req)
			return
		}
		gv := schema.GroupVersion{}
		var gr schema.GroupResource
		if info, ok := apirequest.RequestInfoFrom(req.Context()); ok {
			gv = schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
			gr = schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}
		}
		err := apierrors.NewGenericServerResponse(http.StatusNotFound, req.Method, gr, "",
			"the server could not find the requested resource", 0, false)
		responsewriters.ErrorNegotiated(err, codecs, gv, w, req)
	}))
}
