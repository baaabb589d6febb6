package validation

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// standardFinalizers may appear without a domain prefix.
var standardFinalizers = []string{
	string(corev1.FinalizerKubernetes),
	metav1.FinalizerOrphanDependents,
	metav1.FinalizerDeleteDependents,
}

var namespacePhases = []corev1.NamespacePhase{corev1.NamespaceActive, corev1.NamespaceTerminating}

// ValidateNamespace checks a new Namespace: a DNS-1123 label name, valid
// spec.finalizers and a known status.phase.
func ValidateNamespace(obj *corev1.Namespace) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, false, nameIsDNSLabel)
	errs = append(errs, validateNamespaceFinalizers(obj.Spec.Finalizers, field.NewPath("spec", "finalizers"))...)
	errs = append(errs, optionalEnum(obj.Status.Phase, namespacePhases, field.NewPath("status", "phase"))...)
	return errs
}

// ValidateNamespaceUpdate checks a Namespace update; the name is immutable
// through the metadata rules.
func ValidateNamespaceUpdate(obj, old *corev1.Namespace) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateNamespace(obj)...)
}

// validateNamespaceFinalizers matches kube-apiserver: each finalizer is a
// qualified name, and one without a "/" must be a standard finalizer.
func validateNamespaceFinalizers(finalizers []corev1.FinalizerName, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, f := range finalizers {
		name := string(f)
		idxPath := fldPath.Index(i)
		if msgs := apivalidation.ValidateFinalizerName(name, idxPath); len(msgs) > 0 {
			errs = append(errs, msgs...)
			continue
		}
		if !strings.Contains(name, "/") && !isStandardFinalizer(name) {
			errs = append(errs, field.Invalid(idxPath, name, "name is neither a standard finalizer name nor is it fully qualified"))
		}
	}
	return errs
}

func isStandardFinalizer(name string) bool {
	for _, s := range standardFinalizers {
		if s == name {
			return true
		}
	}
	return false
}
