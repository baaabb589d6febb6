package validation

import (
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// invalidEach turns a list of messages from a k8s.io/apimachinery Is* check
// into Invalid errors on one field.
func invalidEach(fldPath *field.Path, value interface{}, msgs []string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(fldPath, value, msg))
	}
	return errs
}

func validateDNS1123Label(value string, fldPath *field.Path) field.ErrorList {
	return invalidEach(fldPath, value, validation.IsDNS1123Label(value))
}

func validateDNS1123Subdomain(value string, fldPath *field.Path) field.ErrorList {
	return invalidEach(fldPath, value, validation.IsDNS1123Subdomain(value))
}

func validateQualifiedName(value string, fldPath *field.Path) field.ErrorList {
	return invalidEach(fldPath, value, validation.IsQualifiedName(value))
}

// validateNamespaceName checks a namespace referenced from another object.
func validateNamespaceName(value string, fldPath *field.Path) field.ErrorList {
	return invalidEach(fldPath, value, apivalidation.ValidateNamespaceName(value, false))
}

// supportedPortProtocols are the protocols kube-apiserver accepts on service
// and endpoint ports.
var supportedPortProtocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

func validatePortProtocol(protocol corev1.Protocol, fldPath *field.Path) field.ErrorList {
	if protocol == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	for _, p := range supportedPortProtocols {
		if p == protocol {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(fldPath, protocol, supportedPortProtocols)}
}

func validatePortNumber(port int32, fldPath *field.Path) field.ErrorList {
	return invalidEach(fldPath, port, validation.IsValidPortNum(int(port)))
}

// validatePortNumOrName checks a targetPort-like field: a port number or an
// IANA_SVC_NAME.
func validatePortNumOrName(port intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	switch port.Type {
	case intstr.Int:
		return invalidEach(fldPath, port.IntValue(), validation.IsValidPortNum(port.IntValue()))
	case intstr.String:
		return invalidEach(fldPath, port.StrVal, validation.IsValidPortName(port.StrVal))
	default:
		return field.ErrorList{field.InternalError(fldPath, fmt.Errorf("unknown type: %v", port.Type))}
	}
}

// validateEndpointIP checks an address that traffic is sent to. Like
// kube-apiserver it rejects unspecified, link-local and link-local multicast
// addresses; unlike it, loopback is allowed because local runs of aggkit put
// every backend on 127.0.0.1.
func validateEndpointIP(ip string, fldPath *field.Path) field.ErrorList {
	if errs := validation.IsValidIP(fldPath, ip); len(errs) > 0 {
		return errs
	}
	return validateNonSpecialIP(ip, fldPath)
}

func validateNonSpecialIP(value string, fldPath *field.Path) field.ErrorList {
	ip := net.ParseIP(value)
	switch {
	case ip == nil:
		return nil // reported by the format check
	case ip.IsUnspecified():
		return field.ErrorList{field.Invalid(fldPath, value, fmt.Sprintf("may not be unspecified (%v)", value))}
	case ip.IsLinkLocalUnicast():
		return field.ErrorList{field.Invalid(fldPath, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")}
	case ip.IsLinkLocalMulticast():
		return field.ErrorList{field.Invalid(fldPath, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")}
	}
	return nil
}

// hasWildcard reports whether "*" is one of the values.
func hasWildcard[S ~string](values []S) bool {
	for _, v := range values {
		if v == "*" {
			return true
		}
	}
	return false
}

// requiredEnum returns a Required error for an empty value and a
// NotSupported error unless value is one of allowed.
func requiredEnum[S ~string](value S, allowed []S, fldPath *field.Path) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	return optionalEnum(value, allowed, fldPath)
}

// optionalEnum returns a NotSupported error unless value is empty or one of allowed.
func optionalEnum[S ~string](value S, allowed []S, fldPath *field.Path) field.ErrorList {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if a == value {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(fldPath, value, allowed)}
}

// lineBreakFree reports an error when a human-readable string holds line breaks.
func lineBreakFree(value string, fldPath *field.Path) field.ErrorList {
	if strings.ContainsAny(value, "\r\n") {
		return field.ErrorList{field.Invalid(fldPath, value, "must not contain line breaks")}
	}
	return nil
}
