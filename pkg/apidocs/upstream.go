package apidocs

import (
	"strings"
)

// Kubernetes' own types are linked to the upstream reference, not repeated.

// upstreamPrefixes are the component name prefixes of types that Kubernetes
// itself documents.
var upstreamPrefixes = []string{
	"io.k8s.api.",
	"io.k8s.apimachinery.",
	"io.k8s.kube-aggregator.",
	"io.k8s.apiextensions-apiserver.",
}

func isUpstream(component string) bool {
	for _, p := range upstreamPrefixes {
		if strings.HasPrefix(component, p) {
			return true
		}
	}
	return false
}

const (
	// commonDefinitions is the upstream page of each type every API uses.
	commonDefinitions = "https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/"
	// generatedReference is the one-page reference of the Kubernetes
	// release whose libraries aggkit is built on (k8s.io/* v0.37).
	generatedReference = "https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/"
	// listConceptsURL explains list kinds (items plus ListMeta).
	listConceptsURL = "https://kubernetes.io/docs/reference/using-api/api-concepts/#collections"
)

// commonDefinitionPages maps upstream types to their page under
// commonDefinitions.
var commonDefinitionPages = map[string]string{
	"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta":    "object-meta/#ObjectMeta",
	"io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta":      "list-meta/#ListMeta",
	"io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": "label-selector/#LabelSelector",
	"io.k8s.apimachinery.pkg.apis.meta.v1.Status":        "status/#Status",
	"io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions": "delete-options/#DeleteOptions",
	"io.k8s.apimachinery.pkg.api.resource.Quantity":      "quantity/#Quantity",
	"io.k8s.api.core.v1.ObjectReference":                 "object-reference/#ObjectReference",
	"io.k8s.api.core.v1.LocalObjectReference":            "local-object-reference/#LocalObjectReference",
	"io.k8s.api.core.v1.TypedLocalObjectReference":       "typed-local-object-reference/#TypedLocalObjectReference",
}

// upstreamURL links an upstream component: its common-definitions page when
// it has one, else its entry in the one-page reference, whose anchors read
// <kind>-<version>-<group> ("time-v1-meta", "pod-v1-core").
func upstreamURL(component string) string {
	if page, ok := commonDefinitionPages[component]; ok {
		return commonDefinitions + page
	}
	parts := strings.Split(component, ".")
	kind := strings.ToLower(parts[len(parts)-1])
	if len(parts) < 3 {
		return generatedReference
	}
	version, group := parts[len(parts)-2], parts[len(parts)-3]
	if !strings.HasPrefix(version, "v") {
		// Packages without a version (resource, intstr, runtime).
		return generatedReference + "#" + kind
	}
	return generatedReference + "#" + kind + "-" + version + "-" + group
}
