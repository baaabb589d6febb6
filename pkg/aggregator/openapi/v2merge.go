package openapi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/klog/v2"
	"k8s.io/kube-openapi/pkg/aggregator"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// remoteV2 is one remote APIService's /openapi/v2 as an input to the merge.
type remoteV2 struct {
	name, group, version string
	// groupPriority is the highest spec.groupPriorityMinimum among the
	// remote APIServices of the group: groups merge in that order.
	groupPriority int32
	doc           *document
}

// orderRemotes sorts remotes as kube-aggregator merges them: by group
// priority, highest first, then by APIService name.
func orderRemotes(remotes []remoteV2) {
	sort.SliceStable(remotes, func(i, j int) bool {
		if remotes[i].groupPriority != remotes[j].groupPriority {
			return remotes[i].groupPriority > remotes[j].groupPriority
		}
		return remotes[i].name < remotes[j].name
	})
}

// fingerprint names the merge inputs, so an unchanged set is not merged again.
func fingerprint(remotes []remoteV2) string {
	var b strings.Builder
	for _, r := range remotes {
		fmt.Fprintf(&b, "%s=%s;", r.name, r.doc.etag)
	}
	return b.String()
}

// groupVersionPrefix is the path prefix a remote group/version owns; a
// backend's spec is cut to it, as kube-aggregator does, so a backend cannot
// describe paths it is not served under.
func groupVersionPrefix(group, version string) string {
	return "/apis/" + group + "/" + version + "/"
}

// mergeV2 returns the built-in spec (as JSON, parsed afresh so merges never
// touch a shared copy) with each remote spec merged in, in order. Paths the
// built-in spec already has win; clashing definitions are renamed. A remote
// spec that cannot be parsed or merged is left out and logged.
func mergeV2(builtin []byte, remotes []remoteV2) (*spec.Swagger, error) {
	merged := &spec.Swagger{}
	if err := json.Unmarshal(builtin, merged); err != nil {
		return nil, fmt.Errorf("parse built-in OpenAPI v2: %w", err)
	}
	for _, r := range remotes {
		remote, err := parseV2(r)
		if err != nil {
			klog.ErrorS(err, "Leaving a remote OpenAPI v2 spec out of the merge", "apiService", r.name)
			continue
		}
		if err := aggregator.MergeSpecsIgnorePathConflictRenamingDefinitionsAndParameters(merged, remote); err != nil {
			klog.ErrorS(err, "Leaving a remote OpenAPI v2 spec out of the merge", "apiService", r.name)
			continue
		}
	}
	return merged, nil
}

// parseV2 parses a remote /openapi/v2 and cuts it to the group/version's paths.
func parseV2(r remoteV2) (*spec.Swagger, error) {
	remote := &spec.Swagger{}
	if err := json.Unmarshal(r.doc.body, remote); err != nil {
		return nil, fmt.Errorf("parse /openapi/v2 of APIService %s: %w", r.name, err)
	}
	return aggregator.FilterSpecByPathsWithoutSideEffects(remote, []string{groupVersionPrefix(r.group, r.version)}), nil
}
