package validation

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxDataSize is the most data a ConfigMap or Secret may hold in total
// (kube-apiserver's MaxSecretSize, 1 MiB): etcd values must stay small.
const MaxDataSize = 1 * 1024 * 1024

const immutableMsg = "field is immutable when `immutable` is set"

// ValidateConfigMap checks a new ConfigMap: valid keys in data and binaryData,
// no key in both, and at most MaxDataSize bytes in total.
func ValidateConfigMap(obj *corev1.ConfigMap) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsDNSSubdomain)
	total := 0
	dataPath := field.NewPath("data")
	for key, value := range obj.Data {
		errs = append(errs, invalidEach(dataPath.Key(key), key, validation.IsConfigMapKey(key))...)
		if _, dup := obj.BinaryData[key]; dup {
			errs = append(errs, field.Invalid(dataPath.Key(key), key, "duplicate of key present in binaryData"))
		}
		total += len(value)
	}
	binaryPath := field.NewPath("binaryData")
	for key, value := range obj.BinaryData {
		errs = append(errs, invalidEach(binaryPath.Key(key), key, validation.IsConfigMapKey(key))...)
		total += len(value)
	}
	if total > MaxDataSize {
		// An empty path marks the whole object, as kube-apiserver does.
		errs = append(errs, field.TooLong(field.NewPath(""), "", MaxDataSize))
	}
	return errs
}

// ValidateConfigMapUpdate checks a ConfigMap update: once immutable is true,
// neither it nor the data may change.
func ValidateConfigMapUpdate(obj, old *corev1.ConfigMap) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	if isTrue(old.Immutable) {
		if !isTrue(obj.Immutable) {
			errs = append(errs, field.Forbidden(field.NewPath("immutable"), immutableMsg))
		}
		if !reflect.DeepEqual(obj.Data, old.Data) {
			errs = append(errs, field.Forbidden(field.NewPath("data"), immutableMsg))
		}
		if !reflect.DeepEqual(obj.BinaryData, old.BinaryData) {
			errs = append(errs, field.Forbidden(field.NewPath("binaryData"), immutableMsg))
		}
	}
	return append(errs, ValidateConfigMap(obj)...)
}

func isTrue(b *bool) bool { return b != nil && *b }
