package extension_test

import (
	"testing"

	"github.com/aggkit/aggkit/pkg/extension"
	testv1 "github.com/aggkit/aggkit/pkg/extension/internal/testapi/v1"
)

// TestServerFlagsContract checks that every server, one that stores
// resources and one that only computes them, takes the flags
// extension.ServerFlags promises to `aggkit run local` and other tools that
// start a server binary without reading its --help.
func TestServerFlagsContract(t *testing.T) {
	servers := map[string]*extension.Server{
		"stored":   extension.New("test.aggkit.io").WithResource(&testv1.Widget{}),
		"computed": extension.New("test.aggkit.io").WithComputedResource(&testv1.Gauge{}, gaugeSource),
	}
	for name, server := range servers {
		flags := server.Command().Flags()
		for _, flag := range extension.ServerFlags() {
			if flags.Lookup(flag) == nil {
				t.Errorf("%s server has no --%s", name, flag)
			}
		}
	}
}
