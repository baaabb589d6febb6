package controlplane

import (
	"fmt"
	"strconv"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/aggkit/aggkit/pkg/controlplane/defaults"
	"github.com/aggkit/aggkit/pkg/controlplane/validation"
	"github.com/aggkit/aggkit/pkg/rbac"
	"github.com/aggkit/aggkit/pkg/rbac/escalation"
	"github.com/aggkit/aggkit/pkg/registry"
)

// storedResources declares every built-in resource kept in etcd. Adding
// one is a few lines here plus its defaults and validation; behaviour
// beyond the generic store is its wrap.
func storedResources() []*resource {
	core, disc, coord, rbac := corev1.SchemeGroupVersion, discoveryv1.SchemeGroupVersion, coordinationv1.SchemeGroupVersion, rbacv1.SchemeGroupVersion
	adm, fc := admissionregistrationv1.SchemeGroupVersion, flowcontrolv1.SchemeGroupVersion
	return []*resource{
		namespaceResource(), // namespaces.go
		{gv: core, plural: "services", singular: "service", namespaced: true, shortNames: []string{"svc"}, categories: []string{"all"}, status: true,
			kindFuncs: kind[corev1.Service, corev1.ServiceList](defaults.SetDefaultsService, validation.ValidateService, validation.ValidateServiceUpdate),
			columns:   serviceColumns,
			prepareUpdate: func(obj, old runtime.Object) {
				defaults.PreserveServiceAllocations(obj.(*corev1.Service), old.(*corev1.Service))
			},
			wrap: allocateServiceIPs}, // services.go
		{gv: core, plural: "endpoints", singular: "endpoints", namespaced: true, shortNames: []string{"ep"}, allowCreateOnUpdate: true,
			kindFuncs: kind[corev1.Endpoints, corev1.EndpointsList](defaults.SetDefaultsEndpoints, validation.ValidateEndpoints, validation.ValidateEndpointsUpdate),
			columns:   []registry.Column{{Name: "Endpoints", Type: "string", Cell: func(o runtime.Object) any { return endpointsCell(o.(*corev1.Endpoints)) }}}},
		{gv: core, plural: "configmaps", singular: "configmap", namespaced: true, shortNames: []string{"cm"},
			kindFuncs: kind[corev1.ConfigMap, corev1.ConfigMapList](defaults.SetDefaultsConfigMap, validation.ValidateConfigMap, validation.ValidateConfigMapUpdate),
			columns: []registry.Column{{Name: "Data", Type: "integer", Cell: func(o runtime.Object) any {
				cm := o.(*corev1.ConfigMap)
				return count(len(cm.Data) + len(cm.BinaryData))
			}}}},
		{gv: core, plural: "secrets", singular: "secret", namespaced: true,
			kindFuncs: kind[corev1.Secret, corev1.SecretList](defaults.SetDefaultsSecret, validation.ValidateSecret, validation.ValidateSecretUpdate),
			columns: []registry.Column{
				{Name: "Type", Type: "string", Cell: func(o runtime.Object) any { return string(o.(*corev1.Secret).Type) }},
				{Name: "Data", Type: "integer", Cell: func(o runtime.Object) any { return count(len(o.(*corev1.Secret).Data)) }},
			},
			selectableFields: []string{"type"},
			fieldSet:         func(o runtime.Object) fields.Set { return fields.Set{"type": string(o.(*corev1.Secret).Type)} }},
		{gv: core, plural: "serviceaccounts", singular: "serviceaccount", namespaced: true, shortNames: []string{"sa"},
			kindFuncs: kind[corev1.ServiceAccount, corev1.ServiceAccountList](defaults.SetDefaultsServiceAccount, validation.ValidateServiceAccount, validation.ValidateServiceAccountUpdate)},
		{gv: core, plural: "events", singular: "event", namespaced: true, shortNames: []string{"ev"},
			kindFuncs: kind[corev1.Event, corev1.EventList](defaults.SetDefaultsEvent, validation.ValidateEvent, validation.ValidateEventUpdate),
			columns:   eventColumns, selectableFields: eventFieldNames, fieldSet: eventFields},
		{gv: disc, plural: "endpointslices", singular: "endpointslice", namespaced: true,
			kindFuncs: kind[discoveryv1.EndpointSlice, discoveryv1.EndpointSliceList](defaults.SetDefaultsEndpointSlice, validation.ValidateEndpointSlice, validation.ValidateEndpointSliceUpdate),
			columns: []registry.Column{
				{Name: "AddressType", Type: "string", Cell: func(o runtime.Object) any { return string(o.(*discoveryv1.EndpointSlice).AddressType) }},
				{Name: "Ports", Type: "string", Cell: func(o runtime.Object) any { return slicePorts(o.(*discoveryv1.EndpointSlice)) }},
				{Name: "Endpoints", Type: "string", Cell: func(o runtime.Object) any { return sliceEndpoints(o.(*discoveryv1.EndpointSlice)) }},
			}},
		{gv: coord, plural: "leases", singular: "lease", namespaced: true,
			kindFuncs: kind[coordinationv1.Lease, coordinationv1.LeaseList](defaults.SetDefaultsLease, validation.ValidateLease, validation.ValidateLeaseUpdate),
			columns: []registry.Column{{Name: "Holder", Type: "string", Cell: func(o runtime.Object) any {
				if h := o.(*coordinationv1.Lease).Spec.HolderIdentity; h != nil {
					return *h
				}
				return ""
			}}}},
		{gv: rbac, plural: "roles", singular: "role", namespaced: true,
			kindFuncs: kind[rbacv1.Role, rbacv1.RoleList](defaults.SetDefaultsRole, validation.ValidateRole, validation.ValidateRoleUpdate),
			wrap:      preventEscalation(escalation.NewRoleStorage)},
		{gv: rbac, plural: "rolebindings", singular: "rolebinding", namespaced: true,
			kindFuncs: kind[rbacv1.RoleBinding, rbacv1.RoleBindingList](defaults.SetDefaultsRoleBinding, validation.ValidateRoleBinding, validation.ValidateRoleBindingUpdate),
			columns: bindingColumns(func(o runtime.Object) (rbacv1.RoleRef, []rbacv1.Subject) {
				b := o.(*rbacv1.RoleBinding)
				return b.RoleRef, b.Subjects
			}),
			wrap: preventEscalation(escalation.NewRoleBindingStorage)},
		{gv: rbac, plural: "clusterroles", singular: "clusterrole",
			kindFuncs: kind[rbacv1.ClusterRole, rbacv1.ClusterRoleList](defaults.SetDefaultsClusterRole, validation.ValidateClusterRole, validation.ValidateClusterRoleUpdate),
			wrap:      preventEscalation(escalation.NewClusterRoleStorage)},
		{gv: rbac, plural: "clusterrolebindings", singular: "clusterrolebinding",
			kindFuncs: kind[rbacv1.ClusterRoleBinding, rbacv1.ClusterRoleBindingList](defaults.SetDefaultsClusterRoleBinding, validation.ValidateClusterRoleBinding, validation.ValidateClusterRoleBindingUpdate),
			columns: bindingColumns(func(o runtime.Object) (rbacv1.RoleRef, []rbacv1.Subject) {
				b := o.(*rbacv1.ClusterRoleBinding)
				return b.RoleRef, b.Subjects
			}),
			wrap: preventEscalation(escalation.NewClusterRoleBindingStorage)},
		{gv: adm, plural: "validatingwebhookconfigurations", singular: "validatingwebhookconfiguration", categories: []string{"api-extensions"},
			kindFuncs: kind[admissionregistrationv1.ValidatingWebhookConfiguration, admissionregistrationv1.ValidatingWebhookConfigurationList](defaults.SetDefaultsValidatingWebhookConfiguration, validation.ValidateValidatingWebhookConfiguration, validation.ValidateValidatingWebhookConfigurationUpdate),
			columns: []registry.Column{{Name: "Webhooks", Type: "integer", Cell: func(o runtime.Object) any {
				return count(len(o.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks))
			}}}},
		{gv: adm, plural: "mutatingwebhookconfigurations", singular: "mutatingwebhookconfiguration", categories: []string{"api-extensions"},
			kindFuncs: kind[admissionregistrationv1.MutatingWebhookConfiguration, admissionregistrationv1.MutatingWebhookConfigurationList](defaults.SetDefaultsMutatingWebhookConfiguration, validation.ValidateMutatingWebhookConfiguration, validation.ValidateMutatingWebhookConfigurationUpdate),
			columns: []registry.Column{{Name: "Webhooks", Type: "integer", Cell: func(o runtime.Object) any {
				return count(len(o.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks))
			}}}},
		{gv: adm, plural: "validatingadmissionpolicies", singular: "validatingadmissionpolicy", categories: []string{"api-extensions"}, status: true,
			kindFuncs: kind[admissionregistrationv1.ValidatingAdmissionPolicy, admissionregistrationv1.ValidatingAdmissionPolicyList](defaults.SetDefaultsValidatingAdmissionPolicy, validation.ValidateValidatingAdmissionPolicy, validation.ValidateValidatingAdmissionPolicyUpdate),
			columns: []registry.Column{{Name: "Validations", Type: "integer", Cell: func(o runtime.Object) any {
				return count(len(o.(*admissionregistrationv1.ValidatingAdmissionPolicy).Spec.Validations))
			}}}},
		{gv: adm, plural: "validatingadmissionpolicybindings", singular: "validatingadmissionpolicybinding", categories: []string{"api-extensions"},
			kindFuncs: kind[admissionregistrationv1.ValidatingAdmissionPolicyBinding, admissionregistrationv1.ValidatingAdmissionPolicyBindingList](defaults.SetDefaultsValidatingAdmissionPolicyBinding, validation.ValidateValidatingAdmissionPolicyBinding, validation.ValidateValidatingAdmissionPolicyBindingUpdate),
			columns: []registry.Column{{Name: "PolicyName", Type: "string", Cell: func(o runtime.Object) any {
				return o.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Spec.PolicyName
			}}}},
		{gv: adm, plural: "mutatingadmissionpolicies", singular: "mutatingadmissionpolicy", categories: []string{"api-extensions"},
			kindFuncs: kind[admissionregistrationv1.MutatingAdmissionPolicy, admissionregistrationv1.MutatingAdmissionPolicyList](defaults.SetDefaultsMutatingAdmissionPolicy, validation.ValidateMutatingAdmissionPolicy, validation.ValidateMutatingAdmissionPolicyUpdate),
			columns: []registry.Column{{Name: "Mutations", Type: "integer", Cell: func(o runtime.Object) any {
				return count(len(o.(*admissionregistrationv1.MutatingAdmissionPolicy).Spec.Mutations))
			}}}},
		{gv: adm, plural: "mutatingadmissionpolicybindings", singular: "mutatingadmissionpolicybinding", categories: []string{"api-extensions"},
			kindFuncs: kind[admissionregistrationv1.MutatingAdmissionPolicyBinding, admissionregistrationv1.MutatingAdmissionPolicyBindingList](defaults.SetDefaultsMutatingAdmissionPolicyBinding, validation.ValidateMutatingAdmissionPolicyBinding, validation.ValidateMutatingAdmissionPolicyBindingUpdate),
			columns: []registry.Column{{Name: "PolicyName", Type: "string", Cell: func(o runtime.Object) any {
				return o.(*admissionregistrationv1.MutatingAdmissionPolicyBinding).Spec.PolicyName
			}}}},
		{gv: fc, plural: "flowschemas", singular: "flowschema", status: true,
			kindFuncs: kind[flowcontrolv1.FlowSchema, flowcontrolv1.FlowSchemaList](defaults.SetDefaultsFlowSchema, validation.ValidateFlowSchema, validation.ValidateFlowSchemaUpdate),
			columns: []registry.Column{
				{Name: "PriorityLevel", Type: "string", Cell: func(o runtime.Object) any {
					return o.(*flowcontrolv1.FlowSchema).Spec.PriorityLevelConfiguration.Name
				}},
				{Name: "MatchingPrecedence", Type: "string", Cell: func(o runtime.Object) any {
					return strconv.Itoa(int(o.(*flowcontrolv1.FlowSchema).Spec.MatchingPrecedence))
				}},
			}},
		{gv: fc, plural: "prioritylevelconfigurations", singular: "prioritylevelconfiguration", status: true,
			kindFuncs: kind[flowcontrolv1.PriorityLevelConfiguration, flowcontrolv1.PriorityLevelConfigurationList](defaults.SetDefaultsPriorityLevelConfiguration, validation.ValidatePriorityLevelConfiguration, validation.ValidatePriorityLevelConfigurationUpdate),
			columns: []registry.Column{{Name: "Type", Type: "string", Cell: func(o runtime.Object) any {
				return string(o.(*flowcontrolv1.PriorityLevelConfiguration).Spec.Type)
			}}}},
	}
}

// preventEscalation is the wrap of roles and bindings: nobody grants,
// through a role or a binding, more than they hold, unless they may
// escalate or bind (pkg/rbac/escalation, against the server's authorizer).
func preventEscalation(guarded func(*genericregistry.Store, rbac.AuthorizationRuleResolver, authorizer.Authorizer) *escalation.Storage) func(*dependencies, *REST, map[string]rest.Storage) error {
	return func(deps *dependencies, plain *REST, paths map[string]rest.Storage) error {
		paths[plain.def.plural] = escalationREST{guarded(plain.Store, deps.rbacResolver, deps.authz)}
		return nil
	}
}

var serviceColumns = []registry.Column{
	{Name: "Type", Type: "string", Cell: func(o runtime.Object) any { return string(o.(*corev1.Service).Spec.Type) }},
	{Name: "Cluster-IP", Type: "string", Cell: func(o runtime.Object) any { return orNone(o.(*corev1.Service).Spec.ClusterIP) }},
	{Name: "External-IP", Type: "string", Cell: func(o runtime.Object) any {
		svc := o.(*corev1.Service)
		if svc.Spec.Type == corev1.ServiceTypeExternalName {
			return svc.Spec.ExternalName
		}
		return joined(svc.Spec.ExternalIPs)
	}},
	{Name: "Port(s)", Type: "string", Cell: func(o runtime.Object) any {
		var ports []string
		for _, p := range o.(*corev1.Service).Spec.Ports {
			ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
		return joined(ports)
	}},
	{Name: "Selector", Type: "string", Priority: 1, Cell: func(o runtime.Object) any {
		var sel []string
		for k, v := range o.(*corev1.Service).Spec.Selector {
			sel = append(sel, k+"="+v)
		}
		return joined(sel)
	}},
}

var eventColumns = []registry.Column{
	{Name: "Type", Type: "string", Cell: func(o runtime.Object) any { return o.(*corev1.Event).Type }},
	{Name: "Reason", Type: "string", Cell: func(o runtime.Object) any { return o.(*corev1.Event).Reason }},
	{Name: "Object", Type: "string", Cell: func(o runtime.Object) any {
		ref := o.(*corev1.Event).InvolvedObject
		return strings.ToLower(ref.Kind) + "/" + ref.Name
	}},
	{Name: "Message", Type: "string", Cell: func(o runtime.Object) any { return strings.TrimSpace(o.(*corev1.Event).Message) }},
}

// eventFieldNames are the field selectors kube-apiserver accepts for events,
// which `kubectl describe` and `kubectl events` rely on.
var eventFieldNames = []string{
	"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
	"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
	"reason", "reportingComponent", "source", "type",
}

func eventFields(o runtime.Object) fields.Set {
	e := o.(*corev1.Event)
	source := e.Source.Component
	if source == "" {
		source = e.ReportingController
	}
	return fields.Set{
		"involvedObject.kind": e.InvolvedObject.Kind, "involvedObject.namespace": e.InvolvedObject.Namespace,
		"involvedObject.name": e.InvolvedObject.Name, "involvedObject.uid": string(e.InvolvedObject.UID),
		"involvedObject.apiVersion": e.InvolvedObject.APIVersion, "involvedObject.resourceVersion": e.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath": e.InvolvedObject.FieldPath, "reason": e.Reason,
		"reportingComponent": e.ReportingController, "source": source, "type": e.Type,
	}
}

func bindingColumns(get func(runtime.Object) (rbacv1.RoleRef, []rbacv1.Subject)) []registry.Column {
	subjects := func(kind string) func(runtime.Object) any {
		return func(o runtime.Object) any {
			_, subs := get(o)
			var names []string
			for _, s := range subs {
				if s.Kind != kind {
					continue
				}
				if s.Namespace != "" {
					names = append(names, s.Namespace+"/"+s.Name)
				} else {
					names = append(names, s.Name)
				}
			}
			return strings.Join(names, ", ")
		}
	}
	return []registry.Column{
		{Name: "Role", Type: "string", Cell: func(o runtime.Object) any {
			ref, _ := get(o)
			return ref.Kind + "/" + ref.Name
		}},
		{Name: "Users", Type: "string", Priority: 1, Cell: subjects(rbacv1.UserKind)},
		{Name: "Groups", Type: "string", Priority: 1, Cell: subjects(rbacv1.GroupKind)},
		{Name: "ServiceAccounts", Type: "string", Priority: 1, Cell: subjects(rbacv1.ServiceAccountKind)},
	}
}

func endpointsCell(ep *corev1.Endpoints) string {
	var list []string
	for _, ss := range ep.Subsets {
		for _, a := range ss.Addresses {
			if len(ss.Ports) == 0 {
				list = append(list, a.IP)
			}
			for _, p := range ss.Ports {
				list = append(list, fmt.Sprintf("%s:%d", a.IP, p.Port))
			}
		}
	}
	return truncatedList(list)
}

func slicePorts(s *discoveryv1.EndpointSlice) string {
	var ports []string
	for _, p := range s.Ports {
		if p.Port != nil {
			ports = append(ports, strconv.Itoa(int(*p.Port)))
		}
	}
	return joined(ports)
}

func sliceEndpoints(s *discoveryv1.EndpointSlice) string {
	var addrs []string
	for _, e := range s.Endpoints {
		addrs = append(addrs, e.Addresses...)
	}
	return truncatedList(addrs)
}

// truncatedList shows at most three entries, as Kubernetes' printers do.
func truncatedList(items []string) string {
	if len(items) > 3 {
		return strings.Join(items[:3], ",") + fmt.Sprintf(" + %d more...", len(items)-3)
	}
	return joined(items)
}
