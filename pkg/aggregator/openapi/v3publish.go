package openapi

import (
	"encoding/json"
	"fmt"
	"strings"

	restful "github.com/emicklei/go-restful/v3"
	"k8s.io/kube-openapi/pkg/cached"
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

// builtinV3Keys returns the group/versions the server lists at /openapi/v3
// for itself: InstallV3 lists one per go-restful web service, under its
// root path. Reading them here rather than from handler3's listing spares
// rendering and hashing every built-in document at start.
func builtinV3Keys(services []*restful.WebService) map[string]bool {
	keys := make(map[string]bool, len(services))
	for _, ws := range services {
		keys[strings.TrimPrefix(ws.RootPath(), "/")] = true
	}
	return keys
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
