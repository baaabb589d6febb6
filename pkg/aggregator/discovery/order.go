package discovery

import (
	"cmp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// apiregistrationGroup is the aggregator's own group. kube-aggregator always
// lists it first in /apis ("it's good to be king"), and in v2 gives it group
// priority apiregistrationGroupPriority so both documents agree.
const (
	apiregistrationGroup         = apiregistrationv1.GroupName
	apiregistrationGroupPriority = 20001
)

// groupList builds the /apis document from every APIService: available or
// not (k/k#66932: namespace deletion and garbage collection must see every
// group), local or remote. The legacy group "" is served under /api and left
// out.
//
// Groups are ordered by their highest groupPriorityMinimum, then by name;
// apiregistration.k8s.io always comes first and always has v1. Versions are
// ordered by versionPriority, then by Kubernetes version order
// (v2 > v1 > v1beta1 > v1alpha1 > other strings). The first version is the
// preferred one.
//
// kube-aggregator breaks group ties by APIService name; the group name is
// used here because aggregated discovery v2 breaks them by group name and the
// two documents must order groups alike (k/k TestGroupPriority).
func groupList(apiServices []*apiregistrationv1.APIService) *metav1.APIGroupList {
	byGroup := map[string][]*apiregistrationv1.APIService{}
	for _, apiService := range apiServices {
		if apiService.Spec.Group == "" {
			continue
		}
		byGroup[apiService.Spec.Group] = append(byGroup[apiService.Spec.Group], apiService)
	}

	type rankedGroup struct {
		priority int32
		group    metav1.APIGroup
	}
	groups := make([]rankedGroup, 0, len(byGroup)+1)
	for name, members := range byGroup {
		if name == apiregistrationGroup {
			continue
		}
		groups = append(groups, rankedGroup{priority: maxGroupPriority(members), group: apiGroup(name, members)})
	}
	slices.SortFunc(groups, func(a, b rankedGroup) int {
		if c := cmp.Compare(b.priority, a.priority); c != 0 {
			return c
		}
		return cmp.Compare(a.group.Name, b.group.Name)
	})

	list := &metav1.APIGroupList{Groups: make([]metav1.APIGroup, 0, len(groups)+1)}
	list.Groups = append(list.Groups, aggregatorGroup(byGroup[apiregistrationGroup]))
	for _, g := range groups {
		list.Groups = append(list.Groups, g.group)
	}
	return list
}

// aggregatorGroup is the apiregistration.k8s.io entry: v1 always, plus any
// version an APIService adds.
func aggregatorGroup(members []*apiregistrationv1.APIService) metav1.APIGroup {
	for _, m := range members {
		if m.Spec.Version == apiregistrationv1.SchemeGroupVersion.Version {
			return apiGroup(apiregistrationGroup, members)
		}
	}
	v1 := &apiregistrationv1.APIService{Spec: apiregistrationv1.APIServiceSpec{
		Group:                apiregistrationGroup,
		Version:              apiregistrationv1.SchemeGroupVersion.Version,
		GroupPriorityMinimum: apiregistrationGroupPriority,
		VersionPriority:      15,
	}}
	return apiGroup(apiregistrationGroup, append([]*apiregistrationv1.APIService{v1}, members...))
}

// apiGroup is the APIGroup for the APIServices of one group.
func apiGroup(name string, members []*apiregistrationv1.APIService) metav1.APIGroup {
	members = slices.Clone(members)
	slices.SortFunc(members, compareVersions)
	group := metav1.APIGroup{Name: name, Versions: make([]metav1.GroupVersionForDiscovery, 0, len(members))}
	for _, m := range members {
		group.Versions = append(group.Versions, metav1.GroupVersionForDiscovery{
			GroupVersion: name + "/" + m.Spec.Version,
			Version:      m.Spec.Version,
		})
	}
	if len(group.Versions) > 0 {
		group.PreferredVersion = group.Versions[0]
	}
	return group
}

// compareVersions orders APIServices of one group: higher versionPriority
// first, then the later Kubernetes version first.
func compareVersions(a, b *apiregistrationv1.APIService) int {
	if c := cmp.Compare(b.Spec.VersionPriority, a.Spec.VersionPriority); c != 0 {
		return c
	}
	return version.CompareKubeAwareVersionStrings(b.Spec.Version, a.Spec.Version)
}

// maxGroupPriority is the group's effective priority: the highest
// groupPriorityMinimum among its APIServices.
func maxGroupPriority(members []*apiregistrationv1.APIService) int32 {
	var highest int32
	for i, m := range members {
		if i == 0 || m.Spec.GroupPriorityMinimum > highest {
			highest = m.Spec.GroupPriorityMinimum
		}
	}
	return highest
}
