package localapis

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersionsFromPaths picks the group/versions out of a server's listed
// paths (GenericAPIServer.ListedPaths: "/api/v1", "/apis/<group>/<version>",
// and many others), as kube-apiserver's apiServicesToRegister does. Other
// paths, such as "/apis/<group>" or "/healthz", are skipped.
func GroupVersionsFromPaths(paths []string) []schema.GroupVersion {
	var gvs []schema.GroupVersion
	for _, path := range paths {
		if path == "/api/v1" {
			gvs = append(gvs, schema.GroupVersion{Version: "v1"})
			continue
		}
		rest, ok := strings.CutPrefix(path, "/apis/")
		if !ok {
			continue
		}
		group, version, ok := strings.Cut(rest, "/")
		if !ok || group == "" || version == "" || strings.Contains(version, "/") {
			continue
		}
		gvs = append(gvs, schema.GroupVersion{Group: group, Version: version})
	}
	return gvs
}
