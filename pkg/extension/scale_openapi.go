package extension

import (
	openapicommon "k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Model names of autoscaling/v1 Scale, as k8s.io/api names them.
const (
	scaleModel       = "io.k8s.api.autoscaling.v1.Scale"
	scaleSpecModel   = "io.k8s.api.autoscaling.v1.ScaleSpec"
	scaleStatusModel = "io.k8s.api.autoscaling.v1.ScaleStatus"
	objectMetaModel  = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
)

// withScaleDefinitions adds autoscaling/v1 Scale to the user's generated
// definitions, which cover only the user's packages: a /scale endpoint
// needs its model for OpenAPI, `kubectl explain` and server-side apply.
func withScaleDefinitions(user openapicommon.GetOpenAPIDefinitions) openapicommon.GetOpenAPIDefinitions {
	return func(ref openapicommon.ReferenceCallback) map[string]openapicommon.OpenAPIDefinition {
		defs := user(ref)
		if _, ok := defs[scaleModel]; ok {
			return defs
		}
		str := func(desc, typ, format string) spec.Schema {
			return spec.Schema{SchemaProps: spec.SchemaProps{Description: desc, Type: []string{typ}, Format: format}}
		}
		object := func(desc string, props map[string]spec.Schema, deps ...string) openapicommon.OpenAPIDefinition {
			return openapicommon.OpenAPIDefinition{
				Schema:       spec.Schema{SchemaProps: spec.SchemaProps{Description: desc, Type: []string{"object"}, Properties: props}},
				Dependencies: deps,
			}
		}
		refTo := func(desc, model string) spec.Schema {
			return spec.Schema{SchemaProps: spec.SchemaProps{Description: desc, Default: map[string]any{}, Ref: ref(model)}}
		}
		scale := object("Scale is the desired and observed replica count of a scalable resource.", map[string]spec.Schema{
			"apiVersion": str("APIVersion of this object: autoscaling/v1.", "string", ""),
			"kind":       str("Kind of this object: Scale.", "string", ""),
			"metadata":   refTo("Metadata of the scaled object.", objectMetaModel),
			"spec":       refTo("The desired replicas.", scaleSpecModel),
			"status":     refTo("The observed replicas; read-only.", scaleStatusModel),
		}, objectMetaModel, scaleSpecModel, scaleStatusModel)
		scale.Schema.Extensions = spec.Extensions{"x-kubernetes-group-version-kind": []any{
			map[string]any{"group": "autoscaling", "version": "v1", "kind": "Scale"}}}
		defs[scaleModel] = scale
		defs[scaleSpecModel] = object("ScaleSpec is the desired state of a scale.", map[string]spec.Schema{
			"replicas": str("The desired number of replicas.", "integer", "int32"),
		})
		status := object("ScaleStatus is the observed state of a scale.", map[string]spec.Schema{
			"replicas": str("The observed number of replicas.", "integer", "int32"),
			"selector": str("Label selector, in string form, of what is counted.", "string", ""),
		})
		status.Schema.Required = []string{"replicas"}
		defs[scaleStatusModel] = status
		return defs
	}
}
