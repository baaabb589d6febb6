package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/endpoints"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// The identity discovery requests carry, as kube-aggregator's: the backend
// trusts these headers because the request comes with the proxy client
// certificate.
const (
	discoveryUser  = "system:kube-aggregator"
	discoveryGroup = "system:masters"
)

// acceptAggregated asks for the aggregated discovery v2 document in JSON.
const acceptAggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

// maxDocumentBytes bounds what is read from one backend answer.
const maxDocumentBytes = 32 << 20

// aggregatedAnswer is what a backend said to GET /apis.
type aggregatedAnswer struct {
	// list is the backend's v2 document; nil with notModified or when the
	// backend does not serve v2 (use the legacy documents).
	list        *apidiscoveryv2.APIGroupDiscoveryList
	etag        string
	notModified bool
}

// errUnavailable is returned when the backend answered 503: it is there but
// cannot serve, so the legacy documents would not help either.
type errUnavailable struct{ apiService string }

func (e errUnavailable) Error() string {
	return fmt.Sprintf("backend of APIService %s answered 503 Service Unavailable", e.apiService)
}

// identityHeader returns the request headers for a discovery request.
func identityHeader(accept string) http.Header {
	h := http.Header{}
	h.Set("Accept", accept)
	h.Set("X-Remote-User", discoveryUser)
	h.Set("X-Remote-Group", discoveryGroup)
	return h
}

// fetchAggregated asks apiService's backend for its v2 document, with
// If-None-Match when an ETag is cached. As kube-aggregator does, 304 keeps
// the cached document, 503 is an error, a 200 carrying v2 is decoded, and
// anything else means "use the legacy documents" (k/k#119662).
func fetchAggregated(ctx context.Context, fetch Fetcher, apiService *apiregistrationv1.APIService, cachedETag string) (aggregatedAnswer, error) {
	header := identityHeader(acceptAggregated)
	if cachedETag != "" {
		header.Set("If-None-Match", cachedETag)
	}
	resp, err := fetch(ctx, apiService, "/apis", header)
	if err != nil {
		return aggregatedAnswer{}, fmt.Errorf("GET /apis for APIService %s: %w", apiService.Name, err)
	}
	defer drainAndClose(resp.Body)

	switch {
	case resp.StatusCode == http.StatusNotModified && cachedETag != "":
		return aggregatedAnswer{notModified: true, etag: cachedETag}, nil
	case resp.StatusCode == http.StatusServiceUnavailable:
		return aggregatedAnswer{}, errUnavailable{apiService: apiService.Name}
	case resp.StatusCode != http.StatusOK || !isAggregatedContentType(resp.Header.Get("Content-Type")):
		return aggregatedAnswer{}, nil
	}
	list := &apidiscoveryv2.APIGroupDiscoveryList{}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocumentBytes)).Decode(list); err != nil {
		return aggregatedAnswer{}, fmt.Errorf("decode /apis of APIService %s: %w", apiService.Name, err)
	}
	if list.APIVersion != apidiscoveryv2.SchemeGroupVersion.String() || list.Kind != "APIGroupDiscoveryList" {
		// A 200 of some other kind (k/k TestLegacyFallback "wrong GVK").
		return aggregatedAnswer{}, nil
	}
	fillResponseKinds(list)
	return aggregatedAnswer{list: list, etag: resp.Header.Get("ETag")}, nil
}

// isAggregatedContentType reports whether a Content-Type names the v2
// discovery list in JSON.
func isAggregatedContentType(contentType string) bool {
	mediaType, params, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/json" &&
		params["g"] == apidiscoveryv2.SchemeGroupVersion.Group &&
		params["v"] == apidiscoveryv2.SchemeGroupVersion.Version &&
		params["as"] == "APIGroupDiscoveryList"
}

// fillResponseKinds replaces missing response kinds with empty ones:
// client-go 0.26.0 to 0.26.3 panics on a nil one (k/k#118361).
func fillResponseKinds(list *apidiscoveryv2.APIGroupDiscoveryList) {
	for g := range list.Items {
		for v := range list.Items[g].Versions {
			resources := list.Items[g].Versions[v].Resources
			for r := range resources {
				if resources[r].ResponseKind == nil {
					resources[r].ResponseKind = &metav1.GroupVersionKind{}
				}
				for s := range resources[r].Subresources {
					if resources[r].Subresources[s].ResponseKind == nil {
						resources[r].Subresources[s].ResponseKind = &metav1.GroupVersionKind{}
					}
				}
			}
		}
	}
}

// fetchLegacy reads apiService's per-version APIResourceList and converts it
// to v2 resources.
func fetchLegacy(ctx context.Context, fetch Fetcher, apiService *apiregistrationv1.APIService) ([]apidiscoveryv2.APIResourceDiscovery, error) {
	group, version := apiService.Spec.Group, apiService.Spec.Version
	path := "/apis/" + group + "/" + version
	resp, err := fetch(ctx, apiService, path, identityHeader("application/json"))
	if err != nil {
		return nil, fmt.Errorf("GET %s for APIService %s: %w", path, apiService.Name, err)
	}
	defer drainAndClose(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s for APIService %s: backend answered %s", path, apiService.Name, resp.Status)
	}
	list := &metav1.APIResourceList{}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocumentBytes)).Decode(list); err != nil {
		return nil, fmt.Errorf("decode %s of APIService %s: %w", path, apiService.Name, err)
	}
	// In the legacy list an empty group and version mean "this list's"; v2
	// names the response kind's group and version outright.
	for i := range list.APIResources {
		if r := &list.APIResources[i]; r.Group == "" && r.Version == "" {
			r.Group, r.Version = group, version
		}
	}
	resources, err := endpoints.ConvertGroupVersionIntoToDiscovery(list.APIResources)
	if err != nil {
		return nil, fmt.Errorf("convert %s of APIService %s: %w", path, apiService.Name, err)
	}
	return resources, nil
}

// drainAndClose lets the connection be reused.
func drainAndClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDocumentBytes))
	_ = body.Close()
}
