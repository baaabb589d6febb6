package validation

import (
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Name rules per kind, as kube-apiserver chooses them.
var (
	// nameIsDNSSubdomain is the default for most kinds (configmaps, secrets, ...).
	nameIsDNSSubdomain = apivalidation.NameIsDNSSubdomain
	// nameIsDNSLabel is used for namespaces.
	nameIsDNSLabel = apivalidation.NameIsDNSLabel
	// nameIsDNS1035Label is used for services: the name becomes a DNS label
	// that must start with a letter.
	nameIsDNS1035Label = apivalidation.NameIsDNS1035Label
	// nameIsPathSegment is RBAC's minimal rule: anything usable in a URL path.
	nameIsPathSegment = path.ValidatePathSegmentName
)

var metadataPath = field.NewPath("metadata")

// validateMeta checks metadata of a new object. namespaced says whether the
// kind requires metadata.namespace (and forbids it otherwise).
func validateMeta(meta *metav1.ObjectMeta, namespaced bool, nameFn apivalidation.ValidateNameFunc) field.ErrorList {
	return apivalidation.ValidateObjectMeta(meta, namespaced, nameFn, metadataPath)
}

// validateMetaUpdate checks metadata changes: name, namespace, uid and
// creationTimestamp are immutable, among others.
func validateMetaUpdate(meta, old *metav1.ObjectMeta) field.ErrorList {
	return apivalidation.ValidateObjectMetaUpdate(meta, old, metadataPath)
}
