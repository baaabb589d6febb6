package discovery

import (
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	endpointsfilters "k8s.io/apiserver/pkg/endpoints/filters"
	"k8s.io/apiserver/pkg/endpoints/handlers/negotiation"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	"k8s.io/apiserver/pkg/util/notfoundhandler"
	"k8s.io/client-go/tools/cache"
	apiregistrationv1informers "k8s.io/kube-aggregator/pkg/client/informers/externalversions/apiregistration/v1"
	apiregistrationv1listers "k8s.io/kube-aggregator/pkg/client/listers/apiregistration/v1"
)

// APIsHandler serves the legacy discovery documents /apis (APIGroupList) and
// /apis/<group> (APIGroup) from the APIService informer. Both are computed
// once per change of the APIServices and served from memory with an ETag;
// a matching If-None-Match gets 304.
type APIsHandler struct {
	lister apiregistrationv1listers.APIServiceLister
	codecs serializer.CodecFactory

	// generation counts APIService events; a document built before the
	// latest event is stale and rebuilt on the next request.
	generation atomic.Uint64
	document   atomic.Pointer[document]
	rebuild    sync.Mutex
}

// document is every legacy discovery answer for one state of the APIServices.
type document struct {
	generation uint64
	list       cachedObject
	groups     map[string]cachedObject
}

type cachedObject struct {
	object runtime.Object
	etag   string
}

// legacyDiscoveryGV is the version metav1's unversioned discovery types are
// written as.
var legacyDiscoveryGV = schema.GroupVersion{Version: "v1"}

// NewAPIsHandler returns a handler computing discovery from apiServices. It
// registers an event handler on the informer, so call it before the informer
// factory starts.
func NewAPIsHandler(apiServices apiregistrationv1informers.APIServiceInformer) (*APIsHandler, error) {
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, legacyDiscoveryGV)
	h := &APIsHandler{lister: apiServices.Lister(), codecs: serializer.NewCodecFactory(scheme)}
	invalidate := func(any) { h.generation.Add(1) }
	_, err := apiServices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    invalidate,
		UpdateFunc: func(_, obj any) { invalidate(obj) },
		DeleteFunc: invalidate,
	})
	if err != nil {
		return nil, fmt.Errorf("watch APIServices for discovery: %w", err)
	}
	return h, nil
}

// ServeHTTP answers /apis and /apis/ with the APIGroupList, /apis/<group>
// and /apis/<group>/ with that group's APIGroup, or a NotFound Status when
// no APIService has the group. Any deeper path is NotFound too: register the
// handler for the prefix /apis/ and the more specific version handlers win.
func (h *APIsHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	doc, err := h.current()
	if err != nil {
		responsewriters.ErrorNegotiated(apierrors.NewInternalError(err), h.codecs, legacyDiscoveryGV, w, req)
		return
	}
	rest := strings.Trim(strings.TrimPrefix(req.URL.Path, "/apis"), "/")
	if rest == "" && strings.HasPrefix(req.URL.Path, "/apis") {
		h.write(doc.list, w, req)
		return
	}
	if group, ok := doc.groups[rest]; ok && !strings.Contains(rest, "/") {
		h.write(group, w, req)
		return
	}
	if !endpointsfilters.NoMuxAndDiscoveryIncompleteKey(req.Context()) {
		// Starting: the path may be an APIService not installed yet, so
		// 503 with Retry-After rather than a 404 clients would act on.
		notfoundhandler.New(h.codecs, endpointsfilters.NoMuxAndDiscoveryIncompleteKey).ServeHTTP(w, req)
		return
	}
	notFound := apierrors.NewGenericServerResponse(http.StatusNotFound, req.Method, schema.GroupResource{}, "",
		"the server could not find the requested resource", 0, false)
	responsewriters.ErrorNegotiated(notFound, h.codecs, legacyDiscoveryGV, w, req)
}

// write serves one cached object with the caching headers the aggregated
// document has (quoted ETag, Vary: Accept, Cache-Control: public) and 304
// for a matching If-None-Match. aggregated.ServeHTTPWithETag cannot be
// reused: its content negotiation only admits the v2 media types.
func (h *APIsHandler) write(o cachedObject, w http.ResponseWriter, req *http.Request) {
	quoted := strconv.Quote(o.etag)
	w.Header().Set("ETag", quoted)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "public")
	if req.Header.Get("If-None-Match") == quoted {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	responsewriters.WriteObjectNegotiated(h.codecs, negotiation.DefaultEndpointRestrictions, legacyDiscoveryGV, w, req, http.StatusOK, o.object, false)
}

// current returns the document for the latest APIService state, building it
// if an event came in since the last build.
func (h *APIsHandler) current() (*document, error) {
	if doc := h.document.Load(); doc != nil && doc.generation == h.generation.Load() {
		return doc, nil
	}
	h.rebuild.Lock()
	defer h.rebuild.Unlock()
	// Read the generation before the lister: an event racing with the build
	// then leaves a document that is already stale, never a stale one that
	// looks current.
	generation := h.generation.Load()
	if doc := h.document.Load(); doc != nil && doc.generation == generation {
		return doc, nil
	}
	apiServices, err := h.lister.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list APIServices: %w", err)
	}
	list := groupList(apiServices)
	doc := &document{generation: generation, groups: make(map[string]cachedObject, len(list.Groups))}
	if doc.list, err = cached(list); err != nil {
		return nil, err
	}
	for i := range list.Groups {
		group := list.Groups[i]
		if doc.groups[group.Name], err = cached(&group); err != nil {
			return nil, err
		}
	}
	h.document.Store(doc)
	return doc, nil
}

// cached pairs an object with its ETag: the hex SHA-512 of its JSON, as the
// aggregated discovery document's ETag is made.
func cached(object runtime.Object) (cachedObject, error) {
	data, err := json.Marshal(object)
	if err != nil {
		return cachedObject{}, fmt.Errorf("discovery ETag: %w", err)
	}
	return cachedObject{object: object, etag: fmt.Sprintf("%X", sha512.Sum512(data))}, nil
}
