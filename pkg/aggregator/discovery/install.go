package discovery

import (
	"net/http"
	"strings"

	"k8s.io/apiserver/pkg/endpoints/discovery/aggregated"
	genericapiserver "k8s.io/apiserver/pkg/server"
)

// Install makes h answer /apis, /apis/ and /apis/<group> on the server's
// NonGoRestfulMux, with the server's aggregated discovery v2 document for
// clients asking for it, as kube-aggregator does on its own server.
//
// The server must be built with Config.EnableDiscovery = false: otherwise its
// own /apis (built-in groups only) is installed in go-restful, which the
// director prefers to the NonGoRestfulMux. Version handlers registered for
// /apis/<group>/<version>[/] are more specific and keep winning over the
// /apis/ prefix registered here.
func (h *APIsHandler) Install(server *genericapiserver.GenericAPIServer) {
	wrapped := aggregated.WrapAggregatedDiscoveryToHandler(h, server.AggregatedDiscoveryGroupManager, server.PeerAggregatedDiscoveryManager)
	server.Handler.NonGoRestfulMux.Handle("/apis", wrapped)
	server.Handler.NonGoRestfulMux.UnlistedHandlePrefix("/apis/", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/apis/" {
			wrapped.ServeHTTP(w, req)
			return
		}
		h.ServeHTTP(w, req)
	}))
}

// RemoveBuiltinGroupHandlers removes the go-restful web services that
// InstallAPIGroups adds for /apis/<group>. Call it after the last
// InstallAPIGroups when remote APIServices may add versions to a built-in
// group: the director hands every path under such a web service's root to
// go-restful, which would hide the remote versions from /apis/<group> and
// 404 their /apis/<group>/<version>. The APIsHandler then answers
// /apis/<group> for every group. It returns the removed roots.
func RemoveBuiltinGroupHandlers(server *genericapiserver.GenericAPIServer) []string {
	var removed []string
	container := server.Handler.GoRestfulContainer
	for _, ws := range container.RegisteredWebServices() {
		root := ws.RootPath()
		group, ok := strings.CutPrefix(root, "/apis/")
		if !ok || group == "" || strings.Contains(group, "/") {
			continue
		}
		if err := container.Remove(ws); err == nil {
			removed = append(removed, root)
		}
	}
	return removed
}
