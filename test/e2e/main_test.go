// Package e2e drives aggkit with real programs: kubectl built from
// k8s.io/kubectl and the unmodified k8s.io/sample-apiserver.
package e2e

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// The image tests' projects outlive each test: they share one build.
	removeImagesRoot()
	os.Exit(code)
}
