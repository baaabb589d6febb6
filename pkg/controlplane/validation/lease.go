package validation

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var leaseStrategies = []coordinationv1.CoordinatedLeaseStrategy{coordinationv1.OldestEmulationVersion}

// ValidateLease checks a new Lease: leaseDurationSeconds > 0,
// leaseTransitions >= 0, a known strategy, and preferredHolder only with a
// strategy.
func ValidateLease(obj *coordinationv1.Lease) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsDNSSubdomain)
	spec, specPath := &obj.Spec, field.NewPath("spec")
	if spec.LeaseDurationSeconds != nil && *spec.LeaseDurationSeconds <= 0 {
		errs = append(errs, field.Invalid(specPath.Child("leaseDurationSeconds"), *spec.LeaseDurationSeconds, "must be greater than 0"))
	}
	if spec.LeaseTransitions != nil && *spec.LeaseTransitions < 0 {
		errs = append(errs, field.Invalid(specPath.Child("leaseTransitions"), *spec.LeaseTransitions, "must be greater than or equal to 0"))
	}
	if spec.Strategy != nil {
		errs = append(errs, requiredEnum(*spec.Strategy, leaseStrategies, specPath.Child("strategy"))...)
	}
	if stringOrEmpty(spec.PreferredHolder) != "" && (spec.Strategy == nil || *spec.Strategy == "") {
		errs = append(errs, field.Forbidden(specPath.Child("preferredHolder"), "may only be specified if `strategy` is defined"))
	}
	return errs
}

// ValidateLeaseUpdate checks a Lease update.
func ValidateLeaseUpdate(obj, old *coordinationv1.Lease) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateLease(obj)...)
}
