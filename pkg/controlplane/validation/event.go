package validation

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Length limits of event fields, as kube-apiserver enforces them.
const (
	eventShortFieldLimit = 128
	eventNoteLimit       = 1024
)

// ValidateEvent checks a new core/v1 Event: its namespace agrees with
// involvedObject.namespace, and events in the new style (eventTime set)
// carry reportingComponent, reportingInstance, action and reason within
// length limits.
func ValidateEvent(obj *corev1.Event) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsDNSSubdomain)
	nsPath := field.NewPath("involvedObject", "namespace")
	involvedNS := obj.InvolvedObject.Namespace
	switch {
	case involvedNS == "":
		// Cluster-scoped objects; old clients post those events to "default".
		if obj.Namespace != metav1.NamespaceNone && obj.Namespace != metav1.NamespaceDefault {
			errs = append(errs, field.Invalid(nsPath, involvedNS, "does not match event.namespace"))
		}
	case involvedNS != obj.Namespace:
		errs = append(errs, field.Invalid(nsPath, involvedNS, "does not match event.namespace"))
	}
	if obj.EventTime.IsZero() {
		return errs
	}
	errs = append(errs, requiredShortField(obj.ReportingController, "reportingComponent")...)
	if obj.ReportingController != "" {
		errs = append(errs, validateQualifiedName(obj.ReportingController, field.NewPath("reportingComponent"))...)
	}
	errs = append(errs, requiredShortField(obj.ReportingInstance, "reportingInstance")...)
	errs = append(errs, requiredShortField(obj.Action, "action")...)
	errs = append(errs, requiredShortField(obj.Reason, "reason")...)
	if len(obj.Message) > eventNoteLimit {
		errs = append(errs, field.Invalid(field.NewPath("message"), "", fmt.Sprintf("can have at most %d characters", eventNoteLimit)))
	}
	return errs
}

func requiredShortField(value, name string) field.ErrorList {
	fldPath := field.NewPath(name)
	switch {
	case value == "":
		return field.ErrorList{field.Required(fldPath, "")}
	case len(value) > eventShortFieldLimit:
		return field.ErrorList{field.Invalid(fldPath, "", fmt.Sprintf("can have at most %d characters", eventShortFieldLimit))}
	}
	return nil
}

// ValidateEventUpdate checks a core/v1 Event update. The legacy API lets
// recorders update count, timestamps and message, so only metadata rules and
// the create rules apply.
func ValidateEventUpdate(obj, old *corev1.Event) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateEvent(obj)...)
}
