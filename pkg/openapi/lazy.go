package openapi

import (
	"fmt"
	"strings"
	"sync"

	restful "github.com/emicklei/go-restful/v3"
	genericapiserver "k8s.io/apiserver/pkg/server"
	builderv2 "k8s.io/kube-openapi/pkg/builder"
	builderv3 "k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/common/restfuladapter"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Lazy serves a server's own /openapi/v2 and /openapi/v3 documents, each
// built the first time it is asked for rather than in PrepareRun.
// k8s.io/apiserver builds them all there, for every start: the v2 document
// alone is about a quarter of the CPU a start takes, and both stay in the
// heap of a server nobody asks for them (kubectl asks for one group's v3 to
// explain or validate, and readiness never needs them).
//
// The documents are those PrepareRun would build, from the same
// configuration and go-restful services.
type Lazy struct {
	v2 *common.Config
	v3 *common.OpenAPIV3Config
	// mu serialises builds: kube-openapi's builders fill unset fields of
	// the configuration they are given.
	mu sync.Mutex
	// server is set by Install; the documents are built from its
	// go-restful services.
	server *genericapiserver.GenericAPIServer

	// BuiltinV2 is the server's own v2 document, built on its first Get
	// (by a request for /openapi/v2, or by whoever merges other documents
	// into it).
	BuiltinV2 cached.Value[*spec.Swagger]
}

// NewLazy prepares the documents of the two configurations, which must be
// those of the server's Config (SkipOpenAPIInstallation set, so that
// PrepareRun does not build them).
func NewLazy(v2 *common.Config, v3 *common.OpenAPIV3Config) *Lazy {
	l := &Lazy{v2: v2, v3: v3}
	l.BuiltinV2 = cached.Once(cached.Func(l.buildV2))
	return l
}

// Install serves /openapi/v2 and /openapi/v3 on server, as PrepareRun would,
// and sets the server's OpenAPIVersionedService and
// OpenAPIV3VersionedService. Call it once every API is installed.
func (l *Lazy) Install(server *genericapiserver.GenericAPIServer) {
	l.mu.Lock()
	l.server = server
	l.mu.Unlock()

	v2 := handler.NewOpenAPIServiceLazy(l.BuiltinV2)
	v2.RegisterOpenAPIVersionedService("/openapi/v2", server.Handler.NonGoRestfulMux)
	server.OpenAPIVersionedService = v2

	v3 := handler3.NewOpenAPIService()
	// Only fails on a nil mux.
	_ = v3.RegisterOpenAPIV3VersionedService("/openapi/v3", server.Handler.NonGoRestfulMux)
	for _, ws := range server.Handler.GoRestfulContainer.RegisteredWebServices() {
		gv := strings.TrimPrefix(ws.RootPath(), "/")
		v3.UpdateGroupVersionLazy(gv, cached.Once(cached.Func(func() (*spec3.OpenAPI, string, error) {
			return l.buildV3(gv, ws)
		})))
	}
	server.OpenAPIV3VersionedService = v3
}

func (l *Lazy) buildV2() (*spec.Swagger, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.server == nil {
		return nil, "", fmt.Errorf("OpenAPI v2 asked for before the server's APIs are installed")
	}
	services := l.server.Handler.GoRestfulContainer.RegisteredWebServices()
	doc, err := builderv2.BuildOpenAPISpecFromRoutes(restfuladapter.AdaptWebServices(services), l.v2)
	if err != nil {
		return nil, "", fmt.Errorf("build OpenAPI v2: %w", err)
	}
	// As PrepareRun: defaults are dropped from the served v2 document.
	doc.Definitions = handler.PruneDefaults(doc.Definitions)
	// Built once and never changed: any fixed tag will do.
	return doc, "builtin", nil
}

func (l *Lazy) buildV3(gv string, ws *restful.WebService) (*spec3.OpenAPI, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	doc, err := builderv3.BuildOpenAPISpecFromRoutes(restfuladapter.AdaptWebServices([]*restful.WebService{ws}), l.v3)
	if err != nil {
		return nil, "", fmt.Errorf("build OpenAPI v3 of %s: %w", gv, err)
	}
	if group, version, ok := groupVersionOfPath(gv); ok {
		narrowSharedKinds(doc, group, version)
	}
	return doc, gv, nil
}

// groupVersionOfPath reads "api/v1" and "apis/<group>/<version>".
func groupVersionOfPath(path string) (group, version string, ok bool) {
	parts := strings.Split(path, "/")
	switch {
	case len(parts) == 2 && parts[0] == "api":
		return "", parts[1], true
	case len(parts) == 3 && parts[0] == "apis":
		return parts[1], parts[2], true
	}
	return "", "", false
}

// sharedKinds are the meta kinds every group registers (WatchEvent,
// DeleteOptions); their x-kubernetes-group-version-kind lists every group.
var sharedKinds = map[string]bool{"WatchEvent": true, "DeleteOptions": true}

// narrowSharedKinds keeps, in a group/version's v3 document, only the GVKs
// of the shared meta kinds that name this group/version or core v1, as
// k8s.io/apiserver's PrepareRun does.
func narrowSharedKinds(doc *spec3.OpenAPI, group, version string) {
	if doc == nil || doc.Components == nil {
		return
	}
	const key = "x-kubernetes-group-version-kind"
	for _, schema := range doc.Components.Schemas {
		if schema == nil {
			continue
		}
		gvks, ok := schema.Extensions[key].([]interface{})
		if !ok || len(gvks) < 2 {
			continue
		}
		if first, ok := gvks[0].(map[string]interface{}); !ok || !sharedKinds[fmt.Sprint(first["kind"])] {
			continue
		}
		var kept []interface{}
		for _, item := range gvks {
			gvk, ok := item.(map[string]interface{})
			if !ok {
				continue
			}
			g, gOK := gvk["group"].(string)
			v, vOK := gvk["version"].(string)
			if gOK && vOK && ((g == group && v == version) || (g == "" && v == "v1")) {
				kept = append(kept, item)
			}
		}
		if len(kept) == 0 {
			delete(schema.Extensions, key)
			continue
		}
		schema.Extensions[key] = kept
	}
}
