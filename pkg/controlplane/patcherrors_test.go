package controlplane

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
)

// TestStrategicPatchErrorsAre400 sends strategic merge patches that
// k8s.io/apiserver cannot apply and answered 500 for (an unknown $patch
// directive, in a map and in a list of a stored object) to resources on each
// kind of storage: plain, status, RBAC (escalation checks), Services (IP
// allocation) and APIServices. Each must be 400, as k8s.io/apiserver
// answers the strategic patch errors it knows, dry run or not, and leave
// the object as it was.
func TestStrategicPatchErrorsAre400(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	core := ts.client.CoreV1()
	if _, err := core.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}}}}
	if _, err := core.Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "role"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	agg, err := aggregatorclient.NewForConfig(ts.admin)
	if err != nil {
		t.Fatal(err)
	}
	local := &apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1.fuzz.example.com"}, Spec: apiregistrationv1.APIServiceSpec{
		Group: "fuzz.example.com", Version: "v1", GroupPriorityMinimum: 100, VersionPriority: 10}}
	if _, err := agg.ApiregistrationV1().APIServices().Create(ctx, local, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(ts.admin)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, resource, namespace, object, subresource, patch string
	}{
		{"unknown $patch at the top", "configmaps", "default", "cm", "", `{"$patch":"bogus"}`},
		{"unknown $patch in a struct", "services", "default", "svc", "", `{"spec":{"$patch":"bogus"}}`},
		{"unknown $patch in a list", "services", "default", "svc", "", `{"spec":{"ports":[{"$patch":"bogus","port":443}]}}`},
		{"list element not a map", "services", "default", "svc", "", `{"spec":{"ports":[1]}}`},
		{"status subresource", "namespaces", "", "default", "status", `{"$patch":"bogus"}`},
		{"rbac", "clusterroles", "", "role", "", `{"$patch":"bogus"}`},
		{"apiservices", "apiservices", "", local.Name, "", `{"$patch":"bogus"}`},
		{"apiservices status", "apiservices", "", local.Name, "status", `{"$patch":"bogus"}`},
	}
	for _, tc := range tests {
		for _, dryRun := range []bool{false, true} {
			name := tc.name
			if dryRun {
				name += " dry run"
			}
			t.Run(name, func(t *testing.T) {
				gvr := mustResource(t, tc.resource)
				client := dyn.Resource(gvr).Namespace(tc.namespace)
				before, err := client.Get(ctx, tc.object, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				opts := metav1.PatchOptions{}
				if dryRun {
					opts.DryRun = []string{metav1.DryRunAll}
				}
				var subresources []string
				if tc.subresource != "" {
					subresources = []string{tc.subresource}
				}
				_, err = client.Patch(ctx, tc.object, types.StrategicMergePatchType, []byte(tc.patch), opts, subresources...)
				if !apierrors.IsBadRequest(err) {
					t.Errorf("patch %s: %v, want 400 BadRequest", tc.patch, err)
				}
				after, err := client.Get(ctx, tc.object, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if after.GetResourceVersion() != before.GetResourceVersion() {
					t.Errorf("resourceVersion %s after the refused patch, was %s", after.GetResourceVersion(), before.GetResourceVersion())
				}
			})
		}
	}
}
