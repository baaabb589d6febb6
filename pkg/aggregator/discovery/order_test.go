package discovery

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// apiService builds an APIService "version.group" with the given priorities;
// remote ones point at a Service and are not Available unless marked so.
func apiService(gv string, groupPriority, versionPriority int32) *apiregistrationv1.APIService {
	group, version, _ := strings.Cut(gv, "/")
	if version == "" {
		group, version = "", group
	}
	return &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: version + "." + group},
		Spec: apiregistrationv1.APIServiceSpec{
			Group: group, Version: version,
			GroupPriorityMinimum: groupPriority, VersionPriority: versionPriority,
		},
	}
}

func onService(a *apiregistrationv1.APIService, name string, available bool) *apiregistrationv1.APIService {
	a = a.DeepCopy()
	a.Spec.Service = &apiregistrationv1.ServiceReference{Namespace: "ns", Name: name}
	status := apiregistrationv1.ConditionFalse
	if available {
		status = apiregistrationv1.ConditionTrue
	}
	a.Status.Conditions = []apiregistrationv1.APIServiceCondition{{Type: apiregistrationv1.Available, Status: status}}
	return a
}

// summary renders a group list as "group:v1,v2(preferred)" strings.
func summary(list *metav1.APIGroupList) []string {
	var out []string
	for _, g := range list.Groups {
		var versions []string
		for _, v := range g.Versions {
			if v.GroupVersion != g.Name+"/"+v.Version {
				versions = append(versions, "BAD:"+v.GroupVersion)
			}
			versions = append(versions, v.Version)
		}
		out = append(out, g.Name+":"+strings.Join(versions, ",")+"("+g.PreferredVersion.Version+")")
	}
	return out
}

func TestGroupListOrder(t *testing.T) {
	tests := []struct {
		name        string
		apiServices []*apiregistrationv1.APIService
		want        []string
	}{
		{
			name: "empty still lists apiregistration",
			want: []string{"apiregistration.k8s.io:v1(v1)"},
		},
		{
			name:        "legacy group is left out",
			apiServices: []*apiregistrationv1.APIService{apiService("v1", 18000, 1)},
			want:        []string{"apiregistration.k8s.io:v1(v1)"},
		},
		{
			name: "apiregistration first whatever its priority, with its extra versions",
			apiServices: []*apiregistrationv1.APIService{
				apiService("apps/v1", 17800, 15),
				apiService("apiregistration.k8s.io/v1", 100, 15),
				apiService("apiregistration.k8s.io/v1beta1", 100, 9),
			},
			want: []string{"apiregistration.k8s.io:v1,v1beta1(v1)", "apps:v1(v1)"},
		},
		{
			name: "groups by highest groupPriorityMinimum of their versions",
			apiServices: []*apiregistrationv1.APIService{
				apiService("low.example.com/v1", 100, 15),
				apiService("high.example.com/v1", 2000, 15),
				apiService("mixed.example.com/v1", 50, 15),
				apiService("mixed.example.com/v2", 3000, 10),
			},
			want: []string{
				"apiregistration.k8s.io:v1(v1)",
				"mixed.example.com:v1,v2(v1)",
				"high.example.com:v1(v1)",
				"low.example.com:v1(v1)",
			},
		},
		{
			name: "equal group priorities by group name",
			apiServices: []*apiregistrationv1.APIService{
				apiService("b.example.com/v1", 1000, 15),
				apiService("a.example.com/v2", 1000, 15),
			},
			want: []string{"apiregistration.k8s.io:v1(v1)", "a.example.com:v2(v2)", "b.example.com:v1(v1)"},
		},
		{
			name: "versionPriority beats version order",
			apiServices: []*apiregistrationv1.APIService{
				apiService("g.example.com/v2", 1000, 5),
				apiService("g.example.com/v1alpha1", 1000, 20),
				apiService("g.example.com/v1", 1000, 10),
			},
			want: []string{"apiregistration.k8s.io:v1(v1)", "g.example.com:v1alpha1,v1,v2(v1alpha1)"},
		},
		{
			name: "equal versionPriority falls back to kube-aware version order",
			apiServices: []*apiregistrationv1.APIService{
				apiService("g.example.com/foo10", 1000, 15),
				apiService("g.example.com/v12alpha1", 1000, 15),
				apiService("g.example.com/v1", 1000, 15),
				apiService("g.example.com/v10beta3", 1000, 15),
				apiService("g.example.com/foo1", 1000, 15),
				apiService("g.example.com/v11alpha2", 1000, 15),
				apiService("g.example.com/v2", 1000, 15),
				apiService("g.example.com/v11beta2", 1000, 15),
				apiService("g.example.com/v10", 1000, 15),
				apiService("g.example.com/v3beta1", 1000, 15),
			},
			want: []string{
				"apiregistration.k8s.io:v1(v1)",
				"g.example.com:v10,v2,v1,v11beta2,v10beta3,v3beta1,v12alpha1,v11alpha2,foo1,foo10(v10)",
			},
		},
		{
			name: "unavailable APIServices stay listed",
			apiServices: []*apiregistrationv1.APIService{
				onService(apiService("up.example.com/v1", 1000, 15), "up", true),
				onService(apiService("down.example.com/v1", 2000, 15), "down", false),
				onService(apiService("never.example.com/v1", 500, 15), "never", false),
			},
			want: []string{
				"apiregistration.k8s.io:v1(v1)",
				"down.example.com:v1(v1)",
				"up.example.com:v1(v1)",
				"never.example.com:v1(v1)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summary(groupList(tt.apiServices))); diff != "" {
				t.Errorf("/apis order (-want +got):\n%s", diff)
			}
		})
	}
}
