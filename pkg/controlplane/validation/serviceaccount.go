package validation

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateServiceAccount checks a new ServiceAccount: a DNS subdomain name in a
// namespace. Secret references are not checked, as upstream.
func ValidateServiceAccount(obj *corev1.ServiceAccount) field.ErrorList {
	return validateMeta(&obj.ObjectMeta, true, nameIsDNSSubdomain)
}

// ValidateServiceAccountUpdate checks a ServiceAccount update.
func ValidateServiceAccountUpdate(obj, old *corev1.ServiceAccount) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateServiceAccount(obj)...)
}
