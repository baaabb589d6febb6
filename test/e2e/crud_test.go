package e2e

import (
	"strings"
	"testing"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// builtinObjects has one valid manifest per built-in resource, with the
// kubectl resource name to address it by.
var builtinObjects = []struct {
	resource, name, namespace, manifest string
}{
	{"configmaps", "cm1", "default", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1","namespace":"default"},"data":{"a":"1"}}`},
	{"secrets", "s1", "default", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1","namespace":"default"},"stringData":{"a":"1"}}`},
	{"services", "svc1", "default", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc1","namespace":"default"},"spec":{"ports":[{"port":443,"targetPort":8443}]}}`},
	{"endpoints", "svc1", "default", `{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"svc1","namespace":"default"},"subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"port":8443}]}]}`},
	{"serviceaccounts", "sa1", "default", `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa1","namespace":"default"}}`},
	{"events", "ev1", "default", `{"apiVersion":"v1","kind":"Event","metadata":{"name":"ev1","namespace":"default"},"involvedObject":{"kind":"ConfigMap","name":"cm1","namespace":"default"},"reason":"Tested","message":"hello","type":"Normal"}`},
	{"namespaces", "ns1", "", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1"}}`},
	{"endpointslices.discovery.k8s.io", "svc1-abc", "default", `{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"svc1-abc","namespace":"default","labels":{"kubernetes.io/service-name":"svc1"}},"addressType":"IPv4","endpoints":[{"addresses":["127.0.0.1"]}],"ports":[{"port":8443}]}`},
	{"leases.coordination.k8s.io", "l1", "default", `{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l1","namespace":"default"},"spec":{"holderIdentity":"me","leaseDurationSeconds":15}}`},
	{"roles.rbac.authorization.k8s.io", "r1", "default", `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r1","namespace":"default"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]}`},
	{"rolebindings.rbac.authorization.k8s.io", "rb1", "default", `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb1","namespace":"default"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r1"},"subjects":[{"kind":"User","name":"bob","apiGroup":"rbac.authorization.k8s.io"}]}`},
	{"clusterroles.rbac.authorization.k8s.io", "cr1", "", `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"cr1"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["list"]}]}`},
	{"clusterrolebindings.rbac.authorization.k8s.io", "crb1", "", `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"crb1"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cr1"},"subjects":[{"kind":"Group","name":"devs","apiGroup":"rbac.authorization.k8s.io"}]}`},
	{"validatingwebhookconfigurations.admissionregistration.k8s.io", "vwc1", "", `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"vwc1"},"webhooks":[{"name":"v.example.com","clientConfig":{"url":"https://127.0.0.1:9/validate"},"sideEffects":"None","admissionReviewVersions":["v1"]}]}`},
	{"mutatingwebhookconfigurations.admissionregistration.k8s.io", "mwc1", "", `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration","metadata":{"name":"mwc1"},"webhooks":[{"name":"m.example.com","clientConfig":{"url":"https://127.0.0.1:9/mutate"},"sideEffects":"None","admissionReviewVersions":["v1"]}]}`},
	{"validatingadmissionpolicies.admissionregistration.k8s.io", "vap1", "", `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"vap1"},"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]},"validations":[{"expression":"true"}]}}`},
	{"validatingadmissionpolicybindings.admissionregistration.k8s.io", "vapb1", "", `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"vapb1"},"spec":{"policyName":"vap1","validationActions":["Deny"]}}`},
	{"flowschemas.flowcontrol.apiserver.k8s.io", "fs1", "", `{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"FlowSchema","metadata":{"name":"fs1"},"spec":{"priorityLevelConfiguration":{"name":"plc1"},"matchingPrecedence":500,"rules":[{"subjects":[{"kind":"Group","group":{"name":"devs"}}],"nonResourceRules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}]}}`},
	{"prioritylevelconfigurations.flowcontrol.apiserver.k8s.io", "plc1", "", `{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"PriorityLevelConfiguration","metadata":{"name":"plc1"},"spec":{"type":"Limited","limited":{"nominalConcurrencyShares":10,"limitResponse":{"type":"Reject"}}}}`},
}

// TestKubectlCRUDBuiltins drives every built-in resource through create,
// get, apply, patch, label and delete with the real kubectl.
func TestKubectlCRUDBuiltins(t *testing.T) {
	a := framework.StartAggkit(t, "")
	for _, obj := range builtinObjects {
		t.Run(obj.resource, func(t *testing.T) {
			k := framework.NewKubectl(t, a.Kubeconfig)
			ns := []string{}
			if obj.namespace != "" {
				ns = []string{"-n", obj.namespace}
			}
			if out, err := k.Run(obj.manifest, "create", "-f", "-"); err != nil {
				t.Fatalf("create: %v", err)
			} else if !strings.Contains(out, "created") {
				t.Fatalf("create said %q", out)
			}
			table := k.MustRun(append([]string{"get", obj.resource}, ns...)...)
			if !strings.Contains(table, obj.name) || !strings.Contains(table, "AGE") {
				t.Fatalf("get table lacks the object or AGE:\n%s", table)
			}
			if got := k.MustRun(append([]string{"get", obj.resource, obj.name, "-o", "jsonpath={.metadata.name}"}, ns...)...); got != obj.name {
				t.Fatalf("get -o jsonpath = %q", got)
			}
			if out := k.Apply(obj.manifest, "--server-side", "--field-manager=e2e", "--force-conflicts"); !strings.Contains(out, "serverside-applied") {
				t.Fatalf("server-side apply said %q", out)
			}
			k.MustRun(append([]string{"label", obj.resource, obj.name, "e2e=yes"}, ns...)...)
			k.MustRun(append([]string{"patch", obj.resource, obj.name, "--type=merge", "-p", `{"metadata":{"annotations":{"patched":"true"}}}`}, ns...)...)
			got := k.MustRun(append([]string{"get", obj.resource, "-l", "e2e=yes", "-o", "jsonpath={.items[*].metadata.annotations.patched}"}, ns...)...)
			if got != "true" {
				t.Fatalf("label selector + patch: got %q", got)
			}
			k.MustRun(append([]string{"delete", obj.resource, obj.name, "--wait=true", "--timeout=60s"}, ns...)...)
			if _, err := k.Run("", append([]string{"get", obj.resource, obj.name}, ns...)...); err == nil || !strings.Contains(err.Error(), "NotFound") {
				t.Fatalf("after delete, get: %v", err)
			}
		})
	}
}
