package extension_test

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/pkg/extension"
	"github.com/aggkit/aggkit/pkg/extension/internal/testapi/openapi"
	testv1 "github.com/aggkit/aggkit/pkg/extension/internal/testapi/v1"
)

// A whole server: one stored resource, its OpenAPI definitions, flags
// parsed from the command line, stopped by SIGTERM.
func ExampleServer_Execute() {
	extension.New("test.aggkit.io").
		WithResource(&testv1.Widget{}).
		WithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions).
		Execute()
}

// A resource computed on request: no etcd, and no etcd flags.
func ExampleServer_WithComputedResource() {
	srv := extension.New("test.aggkit.io").
		WithComputedResource(&testv1.Gauge{}, extension.Computed{
			List: func(ctx context.Context, _ string) ([]extension.Object, error) {
				return []extension.Object{&testv1.Gauge{ObjectMeta: metav1.ObjectMeta{Name: "cpu"}, Value: 42}}, nil
			},
		}).
		WithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions)
	fmt.Println(srv.Command().Flags().Lookup("etcd-servers") == nil)
	// Output: true
}

// An admission hook that refuses by returning an error; the client sees
// `widgets.test.aggkit.io "x" is forbidden: <message>`.
func ExampleServer_WithAdmission() {
	extension.New("test.aggkit.io").
		WithResource(&testv1.Widget{}).
		WithAdmission(func(ctx context.Context, req *extension.AdmissionRequest) error {
			if req.Operation == extension.Create && req.User.Name == "system:anonymous" {
				return fmt.Errorf("anonymous users may not create %s", req.Resource)
			}
			return nil
		})
}

// Configuring from code instead of flags: an in-memory store and a fixed
// port, as tests do.
func ExampleServer_Options() {
	srv := extension.New("test.aggkit.io").
		WithResource(&testv1.Widget{}).
		WithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions)
	srv.Options().InMemory = true
	srv.Options().Recommended.SecureServing.BindPort = 9443
	fmt.Println(srv.Options().InMemory)
	// Output: true
}
