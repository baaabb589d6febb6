package validation

import (
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	serviceTypes = []corev1.ServiceType{
		corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort,
		corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName,
	}
	sessionAffinities        = []corev1.ServiceAffinity{corev1.ServiceAffinityNone, corev1.ServiceAffinityClientIP}
	externalTrafficPolicies  = []corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal}
	internalTrafficPolicies  = []corev1.ServiceInternalTrafficPolicy{corev1.ServiceInternalTrafficPolicyCluster, corev1.ServiceInternalTrafficPolicyLocal}
	ipFamilyPolicies         = []corev1.IPFamilyPolicy{corev1.IPFamilyPolicySingleStack, corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack}
	ipFamilies               = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	maxClientIPTimeoutSecond = int32(86400) // one day, as kube-apiserver
)

// ValidateService checks a new Service. See validateServiceSpec for the rules.
func ValidateService(obj *corev1.Service) field.ErrorList {
	errs := validateMeta(&obj.ObjectMeta, true, nameIsDNS1035Label)
	return append(errs, validateServiceSpec(obj, field.NewPath("spec"))...)
}

// ValidateServiceUpdate checks a Service update: on top of ValidateService,
// allocated clusterIPs, the primary IP family and loadBalancerClass may not
// change (switching to or from ExternalName releases them).
func ValidateServiceUpdate(obj, old *corev1.Service) field.ErrorList {
	errs := validateMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	errs = append(errs, validateServiceIPsUnchanged(obj, old)...)
	if obj.Spec.Type == corev1.ServiceTypeLoadBalancer && old.Spec.Type == corev1.ServiceTypeLoadBalancer &&
		stringOrEmpty(obj.Spec.LoadBalancerClass) != stringOrEmpty(old.Spec.LoadBalancerClass) {
		errs = append(errs, field.Invalid(field.NewPath("spec", "loadBalancerClass"), obj.Spec.LoadBalancerClass, "may not change once set"))
	}
	return append(errs, ValidateService(obj)...)
}

// validateServiceSpec covers: type enum; ports required unless headless or
// ExternalName; port names, numbers, protocols, targetPorts and nodePorts;
// unique names and port/protocol pairs; externalName; clusterIP(s) and IP
// families; selector labels; session affinity; traffic policies; external IPs
// and load-balancer-only fields.
func validateServiceSpec(svc *corev1.Service, specPath *field.Path) field.ErrorList {
	spec := &svc.Spec
	errs := requiredEnum(spec.Type, serviceTypes, specPath.Child("type"))
	headless := isHeadlessService(svc)

	if len(spec.Ports) == 0 && !headless && spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(specPath.Child("ports"), ""))
	}
	errs = append(errs, validateServicePorts(spec, specPath.Child("ports"))...)

	if spec.Type == corev1.ServiceTypeExternalName {
		errs = append(errs, validateExternalNameService(spec, specPath)...)
	} else {
		errs = append(errs, validateClusterIPs(svc, specPath)...)
	}

	if spec.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	}
	errs = append(errs, validateSessionAffinity(spec, specPath)...)
	errs = append(errs, validateTrafficPolicies(spec, specPath)...)

	for i, ip := range spec.ExternalIPs {
		errs = append(errs, validateEndpointIP(ip, specPath.Child("externalIPs").Index(i))...)
	}
	return append(errs, validateLoadBalancerFields(spec, specPath)...)
}

func validateServicePorts(spec *corev1.ServiceSpec, portsPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	type portKey struct {
		port     int32
		protocol corev1.Protocol
	}
	seen := map[portKey]bool{}
	nodePorts := map[portKey]bool{}
	for i := range spec.Ports {
		sp := &spec.Ports[i]
		portPath := portsPath.Index(i)
		switch {
		case len(spec.Ports) > 1 && sp.Name == "":
			errs = append(errs, field.Required(portPath.Child("name"), ""))
		case sp.Name != "":
			errs = append(errs, validateDNS1123Label(sp.Name, portPath.Child("name"))...)
			if names[sp.Name] {
				errs = append(errs, field.Duplicate(portPath.Child("name"), sp.Name))
			}
			names[sp.Name] = true
		}
		errs = append(errs, validatePortNumber(sp.Port, portPath.Child("port"))...)
		errs = append(errs, validatePortProtocol(sp.Protocol, portPath.Child("protocol"))...)
		errs = append(errs, validatePortNumOrName(sp.TargetPort, portPath.Child("targetPort"))...)
		if sp.AppProtocol != nil {
			errs = append(errs, validateQualifiedName(*sp.AppProtocol, portPath.Child("appProtocol"))...)
		}

		key := portKey{sp.Port, sp.Protocol}
		if seen[key] {
			errs = append(errs, field.Duplicate(portPath, fmt.Sprintf("%d/%s", sp.Port, sp.Protocol)))
		}
		seen[key] = true

		if sp.NodePort == 0 {
			continue
		}
		if spec.Type == corev1.ServiceTypeClusterIP || spec.Type == corev1.ServiceTypeExternalName {
			errs = append(errs, field.Forbidden(portPath.Child("nodePort"), fmt.Sprintf("may not be used when `type` is '%s'", spec.Type)))
			continue
		}
		errs = append(errs, validatePortNumber(sp.NodePort, portPath.Child("nodePort"))...)
		nodeKey := portKey{sp.NodePort, sp.Protocol}
		if nodePorts[nodeKey] {
			errs = append(errs, field.Duplicate(portPath.Child("nodePort"), sp.NodePort))
		}
		nodePorts[nodeKey] = true
	}
	return errs
}

func validateExternalNameService(spec *corev1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if spec.ClusterIP != "" || len(spec.ClusterIPs) > 0 {
		errs = append(errs, field.Forbidden(specPath.Child("clusterIPs"), "may not be set for ExternalName services"))
	}
	if len(spec.IPFamilies) > 0 {
		errs = append(errs, field.Forbidden(specPath.Child("ipFamilies"), "may not be set for ExternalName services"))
	}
	if spec.IPFamilyPolicy != nil {
		errs = append(errs, field.Forbidden(specPath.Child("ipFamilyPolicy"), "may not be set for ExternalName services"))
	}
	// A trailing dot marks the CNAME fully qualified.
	name := strings.TrimSuffix(spec.ExternalName, ".")
	if name == "" {
		return append(errs, field.Required(specPath.Child("externalName"), ""))
	}
	return append(errs, validateDNS1123Subdomain(name, specPath.Child("externalName"))...)
}

// validateClusterIPs checks clusterIP/clusterIPs agreement, IP syntax, "None"
// placement and the ipFamilyPolicy/ipFamilies fields.
func validateClusterIPs(svc *corev1.Service, specPath *field.Path) field.ErrorList {
	spec := &svc.Spec
	var errs field.ErrorList
	ipsPath := specPath.Child("clusterIPs")
	if spec.ClusterIP != "" && len(spec.ClusterIPs) > 0 && spec.ClusterIP != spec.ClusterIPs[0] {
		errs = append(errs, field.Invalid(ipsPath.Index(0), spec.ClusterIPs, "first value must match `clusterIP`"))
	}
	ips := serviceClusterIPs(svc)
	if len(ips) > 2 {
		errs = append(errs, field.Invalid(ipsPath, ips, "may only hold up to 2 values"))
	}
	for i, ip := range ips {
		if ip == corev1.ClusterIPNone {
			if len(ips) > 1 {
				errs = append(errs, field.Invalid(ipsPath, ips, "'None' must be the first and only value"))
			}
			continue
		}
		errs = append(errs, validation.IsValidIP(ipsPath.Index(i), ip)...)
	}
	if len(ips) == 2 && ips[0] != corev1.ClusterIPNone && ips[1] != corev1.ClusterIPNone && isIPv6(ips[0]) == isIPv6(ips[1]) {
		errs = append(errs, field.Invalid(ipsPath, ips, "may specify no more than one IP for each IP family"))
	}

	if spec.IPFamilyPolicy != nil {
		errs = append(errs, requiredEnum(*spec.IPFamilyPolicy, ipFamilyPolicies, specPath.Child("ipFamilyPolicy"))...)
	}
	famPath := specPath.Child("ipFamilies")
	seen := map[corev1.IPFamily]bool{}
	for i, fam := range spec.IPFamilies {
		errs = append(errs, requiredEnum(fam, ipFamilies, famPath.Index(i))...)
		if seen[fam] {
			errs = append(errs, field.Duplicate(famPath.Index(i), fam))
		}
		seen[fam] = true
	}
	if len(spec.IPFamilies) > 2 {
		errs = append(errs, field.Invalid(famPath, spec.IPFamilies, "may specify no more than 2 values"))
	}
	if len(spec.IPFamilies) > 1 && spec.IPFamilyPolicy != nil && *spec.IPFamilyPolicy == corev1.IPFamilyPolicySingleStack {
		errs = append(errs, field.Invalid(famPath, spec.IPFamilies, "when multiple IP families are specified, `ipFamilyPolicy` must be 'PreferDualStack' or 'RequireDualStack'"))
	}
	if !isHeadlessService(svc) {
		for i, ip := range ips {
			if i >= len(spec.IPFamilies) || net.ParseIP(ip) == nil {
				break
			}
			if want := spec.IPFamilies[i]; (want == corev1.IPv6Protocol) != isIPv6(ip) {
				errs = append(errs, field.Invalid(ipsPath.Index(i), ip, fmt.Sprintf("expected an %s value as indicated by `ipFamilies[%d]`", want, i)))
			}
		}
	}
	return errs
}

func validateSessionAffinity(spec *corev1.ServiceSpec, specPath *field.Path) field.ErrorList {
	errs := requiredEnum(spec.SessionAffinity, sessionAffinities, specPath.Child("sessionAffinity"))
	cfgPath := specPath.Child("sessionAffinityConfig")
	switch spec.SessionAffinity {
	case corev1.ServiceAffinityClientIP:
		cfg := spec.SessionAffinityConfig
		if cfg == nil || cfg.ClientIP == nil || cfg.ClientIP.TimeoutSeconds == nil {
			errs = append(errs, field.Required(cfgPath.Child("clientIP", "timeoutSeconds"), ""))
			break
		}
		if t := *cfg.ClientIP.TimeoutSeconds; t <= 0 || t > maxClientIPTimeoutSecond {
			errs = append(errs, field.Invalid(cfgPath.Child("clientIP", "timeoutSeconds"), t,
				fmt.Sprintf("must be greater than 0 and less than %d", maxClientIPTimeoutSecond)))
		}
	case corev1.ServiceAffinityNone:
		if spec.SessionAffinityConfig != nil {
			errs = append(errs, field.Invalid(cfgPath, spec.SessionAffinityConfig,
				fmt.Sprintf("must not be set when session affinity is %s", corev1.ServiceAffinityNone)))
		}
	}
	return errs
}

func validateTrafficPolicies(spec *corev1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	etpPath := specPath.Child("externalTrafficPolicy")
	if exposesNodePorts(spec.Type) {
		errs = append(errs, requiredEnum(spec.ExternalTrafficPolicy, externalTrafficPolicies, etpPath)...)
	} else if spec.ExternalTrafficPolicy != "" {
		errs = append(errs, field.Invalid(etpPath, spec.ExternalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"))
	}
	if spec.InternalTrafficPolicy != nil && spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, requiredEnum(*spec.InternalTrafficPolicy, internalTrafficPolicies, specPath.Child("internalTrafficPolicy"))...)
	}
	if spec.HealthCheckNodePort != 0 {
		hcPath := specPath.Child("healthCheckNodePort")
		if spec.Type != corev1.ServiceTypeLoadBalancer || spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
			errs = append(errs, field.Invalid(hcPath, spec.HealthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
		} else {
			errs = append(errs, validatePortNumber(spec.HealthCheckNodePort, hcPath)...)
		}
	}
	return errs
}

func validateLoadBalancerFields(spec *corev1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	isLB := spec.Type == corev1.ServiceTypeLoadBalancer
	rangesPath := specPath.Child("loadBalancerSourceRanges")
	if len(spec.LoadBalancerSourceRanges) > 0 && !isLB {
		errs = append(errs, field.Forbidden(rangesPath, "may only be used when `type` is 'LoadBalancer'"))
	}
	for i, cidr := range spec.LoadBalancerSourceRanges {
		errs = append(errs, validation.IsValidCIDR(rangesPath.Index(i), strings.TrimSpace(cidr))...)
	}
	classPath := specPath.Child("loadBalancerClass")
	if spec.LoadBalancerClass != nil {
		if !isLB {
			errs = append(errs, field.Forbidden(classPath, "may only be used when `type` is 'LoadBalancer'"))
		} else {
			errs = append(errs, validateQualifiedName(*spec.LoadBalancerClass, classPath)...)
		}
	}
	if spec.AllocateLoadBalancerNodePorts != nil && !isLB {
		errs = append(errs, field.Forbidden(specPath.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
	}
	return errs
}

// validateServiceIPsUnchanged matches kube-apiserver's rule that allocated
// cluster IPs and the primary IP family are fixed, except around ExternalName.
func validateServiceIPsUnchanged(svc, old *corev1.Service) field.ErrorList {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || old.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	newIPs, oldIPs := serviceClusterIPs(svc), serviceClusterIPs(old)
	if isHeadlessService(svc) && isHeadlessService(old) {
		return nil
	}
	ipsPath := field.NewPath("spec", "clusterIPs")
	var errs field.ErrorList
	switch {
	case len(oldIPs) > 0 && len(newIPs) == 0:
		errs = append(errs, field.Invalid(ipsPath.Index(0), newIPs, "primary clusterIP can not be unset"))
	default:
		for i := range oldIPs {
			if i < len(newIPs) && newIPs[i] != oldIPs[i] {
				errs = append(errs, field.Invalid(ipsPath.Index(i), newIPs, "may not change once set"))
			}
		}
	}
	if !isHeadlessService(svc) && !isHeadlessService(old) &&
		len(old.Spec.IPFamilies) > 0 && len(svc.Spec.IPFamilies) > 0 && old.Spec.IPFamilies[0] != svc.Spec.IPFamilies[0] {
		errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilies").Index(0), svc.Spec.IPFamilies, "may not change once set"))
	}
	return errs
}

// serviceClusterIPs returns clusterIPs, falling back to clusterIP for objects
// that set only the singular field (defaults.SetDefaultsService syncs them).
func serviceClusterIPs(svc *corev1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	if svc.Spec.ClusterIP != "" {
		return []string{svc.Spec.ClusterIP}
	}
	return nil
}

func isHeadlessService(svc *corev1.Service) bool {
	ips := serviceClusterIPs(svc)
	return len(ips) == 1 && ips[0] == corev1.ClusterIPNone
}

func exposesNodePorts(t corev1.ServiceType) bool {
	return t == corev1.ServiceTypeNodePort || t == corev1.ServiceTypeLoadBalancer
}

func isIPv6(ip string) bool {
	parsed := net.ParseIP(ip)
	return parsed != nil && parsed.To4() == nil
}

func stringOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
