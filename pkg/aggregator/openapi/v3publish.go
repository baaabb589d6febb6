package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/openapiconv"
	"k8s.io/kube-openapi/pkg/spec3"
)

// v3Key is the name handler3 lists a group/version under in /openapi/v3.
func v3Key(group, version string) string {
	return "apis/" + group + "/" + version
}

// v3Path is where a backend serves a group/version's OpenAPI v3 document.
func v3Path(group, version string) string {
	return "/openapi/v3/" + v3Key(group, version)
}

// listedV3Keys returns the group/versions service lists at /openapi/v3 now;
// handler3 has no other way to list them.
func listedV3Keys(service *handler3.OpenAPIService) (map[string]bool, error) {
	recorder := httptest.NewRecorder()
	service.HandleDiscovery(recorder, httptest.NewRequest(http.MethodGet, "/openapi/v3", nil))
	if recorder.Code != http.StatusOK {
		return nil, fmt.Errorf("/openapi/v3 answered %d", recorder.Code)
	}
	var root handler3.OpenAPIV3Discovery
	if err := json.Unmarshal(recorder.Body.Bytes(), &root); err != nil {
		return nil, fmt.Errorf("parse /openapi/v3: %w", err)
	}
	keys := make(map[string]bool, len(root.Paths))
	for key := range root.Paths {
		keys[key] = true
	}
	return keys, nil
}

// v3Document returns the group/version's OpenAPI v3 and a name for it: the
// backend's own v3 document when it has one, else its v2 spec cut to the
// group/version and converted, as kube-aggregator does for backends that
// predate v3. ok is false when there is neither.
func v3Document(group, version string, v3, v2 *document) (value cached.Value[*spec3.OpenAPI], etag string, ok bool, err error) {
	switch {
	case v3 != nil:
		parsed := &spec3.OpenAPI{}
		if err := json.Unmarshal(v3.body, parsed); err != nil {
			return nil, "", false, fmt.Errorf("parse OpenAPI v3 of %s/%s: %w", group, version, err)
		}
		return cached.Static(parsed, v3.etag), "v3:" + v3.etag, true, nil
	case v2 != nil:
		filtered, err := parseV2(remoteV2{name: version + "." + group, group: group, version: version, doc: v2})
		if err != nil {
			return nil, "", false, err
		}
		converted := openapiconv.ConvertV2ToV3(filtered)
		return cached.Static(converted, "v2:"+v2.etag), "v2:" + v2.etag, true, nil
	}
	return nil, "", false, nil
}
