// Package e2e drives aggkit with real programs: kubectl built from
// k8s.io/kubectl and the unmodified k8s.io/sample-apiserver.
package e2e

import (
	"os"
	"testing"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

func TestMain(m *testing.M) {
	code := m.Run()
	framework.Cleanup()
	os.Exit(code)
}
