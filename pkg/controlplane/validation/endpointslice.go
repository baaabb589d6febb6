package validation

import (
	"fmt"

	discoveryv1 "k8s.io/api/discovery/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Size limits of an EndpointSlice, as kube-apiserver enforces them.
const (
	maxSliceEndpoints    = 1000
	maxEndpointAddresses = 100
	maxSlicePorts        = 20000
	maxTopologyLabels    = 16
)

var addressTypes = []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6, discoveryv1.AddressTypeFQDN}

// ValidateEndpointSlice checks a new EndpointSlice: addressType enum, 1..100
// addresses per endpoint matching the address type (loopback allowed),
// hostnames, node names, topology labels, and ports (unique names, protocol,
// valid number when set).
func ValidateEndpointSlice(obj *discoveryv1.EndpointSlice) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsDNSSubdomain)
	errs = append(errs, requiredEnum(obj.AddressType, addressTypes, field.NewPath("addressType"))...)
	errs = append(errs, validateSliceEndpoints(obj.Endpoints, obj.AddressType, field.NewPath("endpoints"))...)
	return append(errs, validateSlicePorts(obj.Ports, field.NewPath("ports"))...)
}

// ValidateEndpointSliceUpdate checks an EndpointSlice update; addressType is
// immutable.
func ValidateEndpointSliceUpdate(obj, old *discoveryv1.EndpointSlice) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	if obj.AddressType != old.AddressType {
		errs = append(errs, field.Invalid(field.NewPath("addressType"), obj.AddressType, "field is immutable"))
	}
	return append(errs, ValidateEndpointSlice(obj)...)
}

func validateSliceEndpoints(endpoints []discoveryv1.Endpoint, addressType discoveryv1.AddressType, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(endpoints) > maxSliceEndpoints {
		errs = append(errs, field.TooMany(fldPath, len(endpoints), maxSliceEndpoints))
	}
	for i := range endpoints {
		ep := &endpoints[i]
		idxPath := fldPath.Index(i)
		addrPath := idxPath.Child("addresses")
		switch {
		case len(ep.Addresses) == 0:
			errs = append(errs, field.Required(addrPath, "must contain at least 1 address"))
		case len(ep.Addresses) > maxEndpointAddresses:
			errs = append(errs, field.TooMany(addrPath, len(ep.Addresses), maxEndpointAddresses))
		}
		for j, addr := range ep.Addresses {
			errs = append(errs, validateSliceAddress(addr, addressType, addrPath.Index(j))...)
		}
		if ep.NodeName != nil {
			errs = append(errs, invalidEach(idxPath.Child("nodeName"), *ep.NodeName, apivalidation.NameIsDNSSubdomain(*ep.NodeName, false))...)
		}
		if ep.Hostname != nil {
			errs = append(errs, validateDNS1123Label(*ep.Hostname, idxPath.Child("hostname"))...)
		}
		topoPath := idxPath.Child("deprecatedTopology")
		if len(ep.DeprecatedTopology) > maxTopologyLabels {
			errs = append(errs, field.TooMany(topoPath, len(ep.DeprecatedTopology), maxTopologyLabels))
		}
		errs = append(errs, metav1validation.ValidateLabels(ep.DeprecatedTopology, topoPath)...)
	}
	return errs
}

// validateSliceAddress checks one address against the slice's type; unknown
// types are reported once on addressType and skipped here.
func validateSliceAddress(addr string, addressType discoveryv1.AddressType, fldPath *field.Path) field.ErrorList {
	switch addressType {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
		if errs := validation.IsValidIP(fldPath, addr); len(errs) > 0 {
			return errs
		}
		if wantV6 := addressType == discoveryv1.AddressTypeIPv6; wantV6 != isIPv6(addr) {
			return field.ErrorList{field.Invalid(fldPath, addr, fmt.Sprintf("must be a valid %s address", addressType))}
		}
		return validateNonSpecialIP(addr, fldPath)
	case discoveryv1.AddressTypeFQDN:
		return validation.IsFullyQualifiedDomainName(fldPath, addr)
	}
	return nil
}

func validateSlicePorts(ports []discoveryv1.EndpointPort, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(ports) > maxSlicePorts {
		errs = append(errs, field.TooMany(fldPath, len(ports), maxSlicePorts))
	}
	names := map[string]bool{}
	for i := range ports {
		p := &ports[i]
		idxPath := fldPath.Index(i)
		name := stringOrEmpty(p.Name)
		if name != "" {
			errs = append(errs, validateDNS1123Label(name, idxPath.Child("name"))...)
		}
		if names[name] {
			errs = append(errs, field.Duplicate(idxPath.Child("name"), name))
		}
		names[name] = true
		if p.Protocol == nil {
			errs = append(errs, field.Required(idxPath.Child("protocol"), ""))
		} else {
			errs = append(errs, validatePortProtocol(*p.Protocol, idxPath.Child("protocol"))...)
		}
		if p.Port != nil {
			errs = append(errs, validatePortNumber(*p.Port, idxPath.Child("port"))...)
		}
		if p.AppProtocol != nil {
			errs = append(errs, validateQualifiedName(*p.AppProtocol, idxPath.Child("appProtocol"))...)
		}
	}
	return errs
}
