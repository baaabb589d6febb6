// Package server builds the wardle extension API server, so that the
// command (../main.go) and tests in other packages (pkg/aggtest) start the
// very same server.
package server

import (
	"github.com/aggkit/aggkit/examples/wardle/admission"
	"github.com/aggkit/aggkit/examples/wardle/apis/openapi"
	"github.com/aggkit/aggkit/examples/wardle/apis/v1alpha1"
	"github.com/aggkit/aggkit/examples/wardle/apis/v1beta1"
	"github.com/aggkit/aggkit/pkg/extension"
)

// Group is the API group wardle serves.
const Group = "wardle.example.com"

// New returns the wardle server, ready for Execute, Run or pkg/aggtest.
func New() *extension.Server {
	return extension.New(Group).
		WithResource(&v1alpha1.Flunder{}).
		WithResource(&v1beta1.Flunder{}).
		WithResource(&v1alpha1.Fischer{}).
		WithComputedResource(&v1alpha1.ReferenceKind{}, v1alpha1.ReferenceKinds).
		WithStorageVersion("v1alpha1").
		WithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions).
		WithAdmission(admission.DisallowedFlunders)
}
