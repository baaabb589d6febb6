// Command wardle is the sample extension API server of group
// wardle.example.com, built on pkg/extension. It serves the same wire format
// as k8s.io/sample-apiserver.
package main

import (
	"github.com/aggkit/aggkit/examples/wardle/admission"
	"github.com/aggkit/aggkit/examples/wardle/apis/openapi"
	"github.com/aggkit/aggkit/examples/wardle/apis/v1alpha1"
	"github.com/aggkit/aggkit/examples/wardle/apis/v1beta1"
	"github.com/aggkit/aggkit/pkg/extension"
)

func main() {
	extension.New("wardle.example.com").
		WithResource(&v1alpha1.Flunder{}).
		WithResource(&v1beta1.Flunder{}).
		WithResource(&v1alpha1.Fischer{}).
		WithComputedResource(&v1alpha1.ReferenceKind{}, v1alpha1.ReferenceKinds).
		WithStorageVersion("v1alpha1").
		WithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions).
		WithAdmission(admission.DisallowedFlunders).
		Execute()
}
