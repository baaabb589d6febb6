package validation

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateSecret checks a new Secret: valid keys, at most MaxDataSize bytes,
// and the keys each well-known type requires. stringData is counted with data
// because, unlike kube-apiserver, no conversion folds it in before validation
// (defaults.SetDefaultsSecret does).
func ValidateSecret(obj *corev1.Secret) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsDNSSubdomain)
	dataPath := field.NewPath("data")
	total := 0
	for key, value := range obj.Data {
		errs = append(errs, invalidEach(dataPath.Key(key), key, validation.IsConfigMapKey(key))...)
		total += len(value)
	}
	stringDataPath := field.NewPath("stringData")
	for key, value := range obj.StringData {
		errs = append(errs, invalidEach(stringDataPath.Key(key), key, validation.IsConfigMapKey(key))...)
		if _, dup := obj.Data[key]; !dup {
			total += len(value)
		}
	}
	if total > MaxDataSize {
		errs = append(errs, field.TooLong(dataPath, "", MaxDataSize))
	}
	return append(errs, validateSecretType(obj, dataPath)...)
}

// validateSecretType checks the keys that kube-apiserver requires per type.
func validateSecretType(obj *corev1.Secret, dataPath *field.Path) field.ErrorList {
	has := func(key string) bool {
		if _, ok := obj.Data[key]; ok {
			return true
		}
		_, ok := obj.StringData[key]
		return ok
	}
	value := func(key string) []byte {
		if v, ok := obj.StringData[key]; ok {
			return []byte(v)
		}
		return obj.Data[key]
	}
	var errs field.ErrorList
	switch obj.Type {
	case corev1.SecretTypeServiceAccountToken:
		if obj.Annotations[corev1.ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(metadataPath.Child("annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg, corev1.SecretTypeDockerConfigJson:
		key := corev1.DockerConfigKey
		if obj.Type == corev1.SecretTypeDockerConfigJson {
			key = corev1.DockerConfigJsonKey
		}
		if !has(key) {
			errs = append(errs, field.Required(dataPath.Key(key), ""))
			break
		}
		if err := json.Unmarshal(value(key), &map[string]interface{}{}); err != nil {
			errs = append(errs, field.Invalid(dataPath.Key(key), "<secret contents redacted>", err.Error()))
		}
	case corev1.SecretTypeBasicAuth:
		if !has(corev1.BasicAuthUsernameKey) && !has(corev1.BasicAuthPasswordKey) {
			errs = append(errs,
				field.Required(dataPath.Key(corev1.BasicAuthUsernameKey), ""),
				field.Required(dataPath.Key(corev1.BasicAuthPasswordKey), ""))
		}
	case corev1.SecretTypeSSHAuth:
		if len(value(corev1.SSHAuthPrivateKey)) == 0 {
			errs = append(errs, field.Required(dataPath.Key(corev1.SSHAuthPrivateKey), ""))
		}
	case corev1.SecretTypeTLS:
		for _, key := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
			if !has(key) {
				errs = append(errs, field.Required(dataPath.Key(key), ""))
			}
		}
	}
	return errs
}

// ValidateSecretUpdate checks a Secret update: type never changes, and once
// immutable is true neither it nor the data may change.
func ValidateSecretUpdate(obj, old *corev1.Secret) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	if obj.Type != old.Type {
		errs = append(errs, field.Invalid(field.NewPath("type"), obj.Type, "field is immutable"))
	}
	if isTrue(old.Immutable) {
		if !isTrue(obj.Immutable) {
			errs = append(errs, field.Forbidden(field.NewPath("immutable"), immutableMsg))
		}
		if !equalSecretData(effectiveSecretData(obj), old.Data) {
			errs = append(errs, field.Forbidden(field.NewPath("data"), immutableMsg))
		}
	}
	return append(errs, ValidateSecret(obj)...)
}

// effectiveSecretData is data with stringData written over it, which is what
// gets stored.
func effectiveSecretData(obj *corev1.Secret) map[string][]byte {
	if len(obj.StringData) == 0 {
		return obj.Data
	}
	merged := make(map[string][]byte, len(obj.Data)+len(obj.StringData))
	for k, v := range obj.Data {
		merged[k] = v
	}
	for k, v := range obj.StringData {
		merged[k] = []byte(v)
	}
	return merged
}

func equalSecretData(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || string(v) != string(w) {
			return false
		}
	}
	return true
}
