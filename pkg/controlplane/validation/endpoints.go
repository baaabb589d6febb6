package validation

import (
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateEndpoints checks a new Endpoints object: every subset has at least
// one address, addresses are valid IPs (loopback allowed, see
// validateEndpointIP), hostnames and node names are DNS names, and ports are
// valid with names required when a subset has more than one.
func ValidateEndpoints(obj *corev1.Endpoints) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsDNSSubdomain)
	return append(errs, validateEndpointSubsets(obj.Subsets, field.NewPath("subsets"))...)
}

// ValidateEndpointsUpdate checks an Endpoints update.
func ValidateEndpointsUpdate(obj, old *corev1.Endpoints) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	return append(errs, ValidateEndpoints(obj)...)
}

func validateEndpointSubsets(subsets []corev1.EndpointSubset, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range subsets {
		ss := &subsets[i]
		idxPath := fldPath.Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			errs = append(errs, field.Required(idxPath, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			errs = append(errs, validateEndpointAddress(&ss.Addresses[j], idxPath.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			errs = append(errs, validateEndpointAddress(&ss.NotReadyAddresses[j], idxPath.Child("notReadyAddresses").Index(j))...)
		}
		names := map[string]bool{}
		for j := range ss.Ports {
			port := &ss.Ports[j]
			portPath := idxPath.Child("ports").Index(j)
			errs = append(errs, validateEndpointPort(port, len(ss.Ports) > 1, portPath)...)
			if port.Name != "" && names[port.Name] {
				errs = append(errs, field.Duplicate(portPath.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
	}
	return errs
}

func validateEndpointAddress(addr *corev1.EndpointAddress, fldPath *field.Path) field.ErrorList {
	errs := validateEndpointIP(addr.IP, fldPath.Child("ip"))
	if addr.Hostname != "" {
		errs = append(errs, validateDNS1123Label(addr.Hostname, fldPath.Child("hostname"))...)
	}
	if addr.NodeName != nil {
		errs = append(errs, invalidEach(fldPath.Child("nodeName"), *addr.NodeName, apivalidation.NameIsDNSSubdomain(*addr.NodeName, false))...)
	}
	return errs
}

func validateEndpointPort(port *corev1.EndpointPort, requireName bool, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case requireName && port.Name == "":
		errs = append(errs, field.Required(fldPath.Child("name"), ""))
	case port.Name != "":
		errs = append(errs, validateDNS1123Label(port.Name, fldPath.Child("name"))...)
	}
	errs = append(errs, validatePortNumber(port.Port, fldPath.Child("port"))...)
	errs = append(errs, validatePortProtocol(port.Protocol, fldPath.Child("protocol"))...)
	if port.AppProtocol != nil {
		errs = append(errs, validateQualifiedName(*port.AppProtocol, fldPath.Child("appProtocol"))...)
	}
	return errs
}
