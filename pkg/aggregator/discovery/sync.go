package discovery

import (
	"cmp"
	"context"
	"slices"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

var everything = labels.Everything()

// syncService asks one Service for the discovery of every APIService it
// backs and publishes the result. It reports whether every one of them is
// now Current.
func (m *Manager) syncService(ctx context.Context, key serviceKey) (allCurrent bool) {
	members, err := m.apiServicesOn(key)
	if err != nil {
		klog.ErrorS(err, "Cannot list APIServices for discovery", "service", key)
		return false
	}
	if len(members) == 0 {
		m.lock.Lock()
		delete(m.services, key)
		m.unpublishOthersLocked(key, nil)
		m.lock.Unlock()
		return true
	}

	m.lock.Lock()
	state, ok := m.services[key]
	if !ok {
		state = &serviceState{lastGood: map[string]apidiscoveryv2.APIVersionDiscovery{}}
		m.services[key] = state
	}
	m.lock.Unlock()

	// Only the worker holding key touches state: the queue never hands one
	// key to two workers at once.
	fresh := m.fetchService(ctx, key, state, members)

	m.lock.Lock()
	defer m.lock.Unlock()
	allCurrent = true
	names := map[string]bool{}
	for _, apiService := range members {
		names[apiService.Name] = true
		entry, current := fresh[apiService.Name]
		if current {
			state.lastGood[apiService.Name] = entry
		} else {
			allCurrent = false
			entry = state.lastGood[apiService.Name]
			entry.Version = apiService.Spec.Version
			entry.Freshness = apidiscoveryv2.DiscoveryFreshnessStale
		}
		m.publishLocked(key, apiService, entry)
	}
	for name := range state.lastGood {
		if !names[name] {
			delete(state.lastGood, name)
		}
	}
	m.unpublishOthersLocked(key, names)
	return allCurrent
}

// fetchService returns the Current version entry of each Available member
// whose discovery could be read. The v2 document is asked once for all of
// them; members missing from it, or all when the backend has no v2, are read
// from their legacy per-version documents.
func (m *Manager) fetchService(ctx context.Context, key serviceKey, state *serviceState, members []*apiregistrationv1.APIService) map[string]apidiscoveryv2.APIVersionDiscovery {
	available := slices.DeleteFunc(slices.Clone(members), func(a *apiregistrationv1.APIService) bool { return !isAvailable(a) })
	if len(available) == 0 {
		// The proxy refuses unavailable APIServices, so their discovery
		// would be a promise the server cannot keep (kube-aggregator gets a
		// 503 from its proxy here).
		klog.V(4).InfoS("No Available APIService on the Service, discovery stays stale", "service", key)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.fetchTimeout)
	defer cancel()

	answer, err := fetchAggregated(ctx, m.fetch, available[0], state.etag)
	switch {
	case err != nil:
		klog.V(2).InfoS("Backend discovery failed, keeping the last known as stale", "service", key, "err", err)
		return nil
	case answer.notModified:
	case answer.list != nil:
		state.list, state.etag = answer.list, answer.etag
	default:
		state.list, state.etag = nil, ""
	}

	fresh := map[string]apidiscoveryv2.APIVersionDiscovery{}
	for _, apiService := range available {
		if entry, ok := versionIn(state.list, apiService); ok {
			fresh[apiService.Name] = entry
			continue
		}
		resources, err := fetchLegacy(ctx, m.fetch, apiService)
		if err != nil {
			klog.V(2).InfoS("Legacy discovery failed, keeping the last known as stale", "apiservice", apiService.Name, "err", err)
			continue
		}
		fresh[apiService.Name] = apidiscoveryv2.APIVersionDiscovery{
			Version:   apiService.Spec.Version,
			Resources: resources,
			Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
		}
	}
	return fresh
}

// versionIn finds apiService's group/version in a backend's v2 document.
func versionIn(list *apidiscoveryv2.APIGroupDiscoveryList, apiService *apiregistrationv1.APIService) (apidiscoveryv2.APIVersionDiscovery, bool) {
	if list == nil {
		return apidiscoveryv2.APIVersionDiscovery{}, false
	}
	for _, group := range list.Items {
		if group.Name != apiService.Spec.Group {
			continue
		}
		for _, version := range group.Versions {
			if version.Version == apiService.Spec.Version {
				version = *version.DeepCopy()
				version.Freshness = apidiscoveryv2.DiscoveryFreshnessCurrent
				return version, true
			}
		}
	}
	return apidiscoveryv2.APIVersionDiscovery{}, false
}

// apiServicesOn lists the APIServices backed by key, by name.
func (m *Manager) apiServicesOn(key serviceKey) ([]*apiregistrationv1.APIService, error) {
	all, err := m.lister.List(everything)
	if err != nil {
		return nil, err
	}
	var members []*apiregistrationv1.APIService
	for _, apiService := range all {
		if k, ok := keyOf(apiService); ok && k == key && apiService.Spec.Group != "" {
			members = append(members, apiService)
		}
	}
	slices.SortFunc(members, func(a, b *apiregistrationv1.APIService) int { return cmp.Compare(a.Name, b.Name) })
	return members, nil
}

// publishLocked writes one APIService's entry and priorities into the
// document, skipping writes that would change nothing.
func (m *Manager) publishLocked(key serviceKey, apiService *apiregistrationv1.APIService, entry apidiscoveryv2.APIVersionDiscovery) {
	gv := metav1.GroupVersion{Group: apiService.Spec.Group, Version: apiService.Spec.Version}
	priority := [2]int32{apiService.Spec.GroupPriorityMinimum, apiService.Spec.VersionPriority}
	previous, known := m.published[apiService.Name]
	if known && previous.gv == gv && previous.priority == priority && apiequality.Semantic.DeepEqual(previous.entry, entry) {
		if previous.service != key {
			previous.service = key
			m.published[apiService.Name] = previous
		}
		return
	}
	if known && previous.gv != gv {
		m.aggregatorRM.RemoveGroupVersion(previous.gv)
	}
	if !known || previous.entry.Freshness != entry.Freshness {
		klog.V(2).InfoS("Aggregated discovery", "apiservice", apiService.Name, "service", key, "freshness", entry.Freshness)
	}
	m.aggregatorRM.AddGroupVersion(gv.Group, entry)
	m.aggregatorRM.SetGroupVersionPriority(gv, int(priority[0]), int(priority[1]))
	m.published[apiService.Name] = publishedVersion{service: key, gv: gv, entry: entry, priority: priority}
}

// unpublishOthersLocked removes the entries key published for APIServices
// not in keep: deleted, made local, or moved to another Service (which then
// owns the entry and is left alone).
func (m *Manager) unpublishOthersLocked(key serviceKey, keep map[string]bool) {
	for name, p := range m.published {
		if p.service != key || keep[name] {
			continue
		}
		m.aggregatorRM.RemoveGroupVersion(p.gv)
		delete(m.published, name)
		klog.V(2).InfoS("Removed from aggregated discovery", "apiservice", name, "service", key)
	}
}
