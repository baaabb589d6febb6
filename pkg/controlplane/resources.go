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

	"github.com/aggkit/aggkit/pkg/controlplane/defaults"
)

// storedResources declares every built-in resource kept in etcd. Adding
// one is a few lines here plus its defaults and validation.
func storedResources(h hooks) []*resource {
	core, disc, coord, rbac := corev1.SchemeGroupVersion, discoveryv1.SchemeGroupVersion, coordinationv1.SchemeGroupVersion, rbacv1.SchemeGroupVersion
	adm, fc := admissionregistrationv1.SchemeGroupVersion, flowcontrolv1.SchemeGroupVersion
	return []*resource{
		{gv: core, plural: "services", singular: "service", namespaced: true, shortNames: []string{"svc"}, categories: []string{"all"}, status: true,
			newFunc: func() runtime.Object { return &corev1.Service{} }, newListFunc: func() runtime.Object { return &corev1.ServiceList{} },
			columns: serviceColumns, hooks: h,
			prepareUpdate: func(obj, old runtime.Object) {
				defaults.PreserveServiceAllocations(obj.(*corev1.Service), old.(*corev1.Service))
			}},
		{gv: core, plural: "endpoints", singular: "endpoints", namespaced: true, shortNames: []string{"ep"}, allowCreateOnUpdate: true,
			newFunc: func() runtime.Object { return &corev1.Endpoints{} }, newListFunc: func() runtime.Object { return &corev1.EndpointsList{} },
			columns: []column{{name: "Endpoints", typ: "string", cell: func(o runtime.Object) any { return endpointsCell(o.(*corev1.Endpoints)) }}}, hooks: h},
		{gv: core, plural: "configmaps", singular: "configmap", namespaced: true, shortNames: []string{"cm"},
			newFunc: func() runtime.Object { return &corev1.ConfigMap{} }, newListFunc: func() runtime.Object { return &corev1.ConfigMapList{} },
			columns: []column{{name: "Data", typ: "integer", cell: func(o runtime.Object) any {
				cm := o.(*corev1.ConfigMap)
				return count(len(cm.Data) + len(cm.BinaryData))
			}}}, hooks: h},
		{gv: core, plural: "secrets", singular: "secret", namespaced: true,
			newFunc: func() runtime.Object { return &corev1.Secret{} }, newListFunc: func() runtime.Object { return &corev1.SecretList{} },
			columns: []column{
				{name: "Type", typ: "string", cell: func(o runtime.Object) any { return string(o.(*corev1.Secret).Type) }},
				{name: "Data", typ: "integer", cell: func(o runtime.Object) any { return count(len(o.(*corev1.Secret).Data)) }},
			},
			selectableFields: []string{"type"},
			fieldSet:         func(o runtime.Object) fields.Set { return fields.Set{"type": string(o.(*corev1.Secret).Type)} },
			hooks:            h},
		{gv: core, plural: "serviceaccounts", singular: "serviceaccount", namespaced: true, shortNames: []string{"sa"},
			newFunc: func() runtime.Object { return &corev1.ServiceAccount{} }, newListFunc: func() runtime.Object { return &corev1.ServiceAccountList{} },
			hooks: h},
		{gv: core, plural: "events", singular: "event", namespaced: true, shortNames: []string{"ev"},
			newFunc: func() runtime.Object { return &corev1.Event{} }, newListFunc: func() runtime.Object { return &corev1.EventList{} },
			columns: eventColumns, selectableFields: eventFieldNames, fieldSet: eventFields, hooks: h},
		{gv: disc, plural: "endpointslices", singular: "endpointslice", namespaced: true,
			newFunc: func() runtime.Object { return &discoveryv1.EndpointSlice{} }, newListFunc: func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
			columns: []column{
				{name: "AddressType", typ: "string", cell: func(o runtime.Object) any { return string(o.(*discoveryv1.EndpointSlice).AddressType) }},
				{name: "Ports", typ: "string", cell: func(o runtime.Object) any { return slicePorts(o.(*discoveryv1.EndpointSlice)) }},
				{name: "Endpoints", typ: "string", cell: func(o runtime.Object) any { return sliceEndpoints(o.(*discoveryv1.EndpointSlice)) }},
			}, hooks: h},
		{gv: coord, plural: "leases", singular: "lease", namespaced: true,
			newFunc: func() runtime.Object { return &coordinationv1.Lease{} }, newListFunc: func() runtime.Object { return &coordinationv1.LeaseList{} },
			columns: []column{{name: "Holder", typ: "string", cell: func(o runtime.Object) any {
				if h := o.(*coordinationv1.Lease).Spec.HolderIdentity; h != nil {
					return *h
				}
				return ""
			}}}, hooks: h},
		{gv: rbac, plural: "roles", singular: "role", namespaced: true,
			newFunc: func() runtime.Object { return &rbacv1.Role{} }, newListFunc: func() runtime.Object { return &rbacv1.RoleList{} }, hooks: h},
		{gv: rbac, plural: "rolebindings", singular: "rolebinding", namespaced: true,
			newFunc: func() runtime.Object { return &rbacv1.RoleBinding{} }, newListFunc: func() runtime.Object { return &rbacv1.RoleBindingList{} },
			columns: bindingColumns(func(o runtime.Object) (rbacv1.RoleRef, []rbacv1.Subject) {
				b := o.(*rbacv1.RoleBinding)
				return b.RoleRef, b.Subjects
			}), hooks: h},
		{gv: rbac, plural: "clusterroles", singular: "clusterrole",
			newFunc: func() runtime.Object { return &rbacv1.ClusterRole{} }, newListFunc: func() runtime.Object { return &rbacv1.ClusterRoleList{} }, hooks: h},
		{gv: rbac, plural: "clusterrolebindings", singular: "clusterrolebinding",
			newFunc: func() runtime.Object { return &rbacv1.ClusterRoleBinding{} }, newListFunc: func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} },
			columns: bindingColumns(func(o runtime.Object) (rbacv1.RoleRef, []rbacv1.Subject) {
				b := o.(*rbacv1.ClusterRoleBinding)
				return b.RoleRef, b.Subjects
			}), hooks: h},
		{gv: adm, plural: "validatingwebhookconfigurations", singular: "validatingwebhookconfiguration", categories: []string{"api-extensions"},
			newFunc:     func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
			newListFunc: func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfigurationList{} },
			columns: []column{{name: "Webhooks", typ: "integer", cell: func(o runtime.Object) any {
				return count(len(o.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks))
			}}}, hooks: h},
		{gv: adm, plural: "mutatingwebhookconfigurations", singular: "mutatingwebhookconfiguration", categories: []string{"api-extensions"},
			newFunc:     func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
			newListFunc: func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
			columns: []column{{name: "Webhooks", typ: "integer", cell: func(o runtime.Object) any {
				return count(len(o.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks))
			}}}, hooks: h},
		{gv: adm, plural: "validatingadmissionpolicies", singular: "validatingadmissionpolicy", categories: []string{"api-extensions"}, status: true,
			newFunc:     func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicy{} },
			newListFunc: func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyList{} },
			columns: []column{{name: "Validations", typ: "integer", cell: func(o runtime.Object) any {
				return count(len(o.(*admissionregistrationv1.ValidatingAdmissionPolicy).Spec.Validations))
			}}}, hooks: h},
		{gv: adm, plural: "validatingadmissionpolicybindings", singular: "validatingadmissionpolicybinding", categories: []string{"api-extensions"},
			newFunc:     func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} },
			newListFunc: func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{} },
			columns: []column{{name: "PolicyName", typ: "string", cell: func(o runtime.Object) any {
				return o.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Spec.PolicyName
			}}}, hooks: h},
		{gv: adm, plural: "mutatingadmissionpolicies", singular: "mutatingadmissionpolicy", categories: []string{"api-extensions"},
			newFunc:     func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicy{} },
			newListFunc: func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyList{} },
			columns: []column{{name: "Mutations", typ: "integer", cell: func(o runtime.Object) any {
				return count(len(o.(*admissionregistrationv1.MutatingAdmissionPolicy).Spec.Mutations))
			}}}, hooks: h},
		{gv: adm, plural: "mutatingadmissionpolicybindings", singular: "mutatingadmissionpolicybinding", categories: []string{"api-extensions"},
			newFunc:     func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBinding{} },
			newListFunc: func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBindingList{} },
			columns: []column{{name: "PolicyName", typ: "string", cell: func(o runtime.Object) any {
				return o.(*admissionregistrationv1.MutatingAdmissionPolicyBinding).Spec.PolicyName
			}}}, hooks: h},
		{gv: fc, plural: "flowschemas", singular: "flowschema", status: true,
			newFunc: func() runtime.Object { return &flowcontrolv1.FlowSchema{} }, newListFunc: func() runtime.Object { return &flowcontrolv1.FlowSchemaList{} },
			columns: []column{
				{name: "PriorityLevel", typ: "string", cell: func(o runtime.Object) any {
					return o.(*flowcontrolv1.FlowSchema).Spec.PriorityLevelConfiguration.Name
				}},
				{name: "MatchingPrecedence", typ: "string", cell: func(o runtime.Object) any {
					return strconv.Itoa(int(o.(*flowcontrolv1.FlowSchema).Spec.MatchingPrecedence))
				}},
			}, hooks: h},
		{gv: fc, plural: "prioritylevelconfigurations", singular: "prioritylevelconfiguration", status: true,
			newFunc:     func() runtime.Object { return &flowcontrolv1.PriorityLevelConfiguration{} },
			newListFunc: func() runtime.Object { return &flowcontrolv1.PriorityLevelConfigurationList{} },
			columns: []column{{name: "Type", typ: "string", cell: func(o runtime.Object) any {
				return string(o.(*flowcontrolv1.PriorityLevelConfiguration).Spec.Type)
			}}}, hooks: h},
	}
}

var serviceColumns = []column{
	{name: "Type", typ: "string", cell: func(o runtime.Object) any { return string(o.(*corev1.Service).Spec.Type) }},
	{name: "Cluster-IP", typ: "string", cell: func(o runtime.Object) any { return orNone(o.(*corev1.Service).Spec.ClusterIP) }},
	{name: "External-IP", typ: "string", cell: func(o runtime.Object) any {
		svc := o.(*corev1.Service)
		if svc.Spec.Type == corev1.ServiceTypeExternalName {
			return svc.Spec.ExternalName
		}
		return joined(svc.Spec.ExternalIPs)
	}},
	{name: "Port(s)", typ: "string", cell: func(o runtime.Object) any {
		var ports []string
		for _, p := range o.(*corev1.Service).Spec.Ports {
			ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
		return joined(ports)
	}},
	{name: "Selector", typ: "string", priority: 1, cell: func(o runtime.Object) any {
		var sel []string
		for k, v := range o.(*corev1.Service).Spec.Selector {
			sel = append(sel, k+"="+v)
		}
		return joined(sel)
	}},
}

var eventColumns = []column{
	{name: "Type", typ: "string", cell: func(o runtime.Object) any { return o.(*corev1.Event).Type }},
	{name: "Reason", typ: "string", cell: func(o runtime.Object) any { return o.(*corev1.Event).Reason }},
	{name: "Object", typ: "string", cell: func(o runtime.Object) any {
		ref := o.(*corev1.Event).InvolvedObject
		return strings.ToLower(ref.Kind) + "/" + ref.Name
	}},
	{name: "Message", typ: "string", cell: func(o runtime.Object) any { return strings.TrimSpace(o.(*corev1.Event).Message) }},
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

func bindingColumns(get func(runtime.Object) (rbacv1.RoleRef, []rbacv1.Subject)) []column {
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
	return []column{
		{name: "Role", typ: "string", cell: func(o runtime.Object) any {
			ref, _ := get(o)
			return ref.Kind + "/" + ref.Name
		}},
		{name: "Users", typ: "string", priority: 1, cell: subjects(rbacv1.UserKind)},
		{name: "Groups", typ: "string", priority: 1, cell: subjects(rbacv1.GroupKind)},
		{name: "ServiceAccounts", typ: "string", priority: 1, cell: subjects(rbacv1.ServiceAccountKind)},
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
