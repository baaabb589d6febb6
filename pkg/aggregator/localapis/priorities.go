package localapis

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Priority is an APIService's place in discovery: Group orders groups
// (spec.groupPriorityMinimum, higher first) and Version orders versions
// inside a group (spec.versionPriority, higher first).
type Priority struct {
	Group   int32
	Version int32
}

// Fallbacks for group/versions kube-apiserver has no entry for. Upstream
// skips those, because for it they can only be CRDs, which register
// themselves; aggkit only ever passes group/versions it serves in process,
// so it registers them with these.
const (
	// DefaultGroupPriority is below every built-in Kubernetes group (the
	// lowest is 15800) and far above CRDs (1000) and the 2000s the API docs
	// suggest for platform extensions.
	DefaultGroupPriority int32 = 15000
	// Version priorities by maturity, following the table's convention:
	// GA 15, beta 9, alpha 1. Equal priorities fall back to Kubernetes
	// version ordering, so v2 still sorts above v1.
	gaVersionPriority    int32 = 15
	betaVersionPriority  int32 = 9
	alphaVersionPriority int32 = 1
)

// kubePriorities is kube-apiserver's table for its built-in group/versions:
// DefaultGenericAPIServicePriorities (k/k pkg/controlplane/apiserver/aggregator.go)
// merged with the kube-apiserver-only groups (k/k cmd/kube-apiserver/app/aggregator.go).
var kubePriorities = map[schema.GroupVersion]Priority{
	{Group: "", Version: "v1"}: {18000, 1},

	{Group: "apps", Version: "v1"}: {17800, 15},

	{Group: "events.k8s.io", Version: "v1"}:      {17750, 15},
	{Group: "events.k8s.io", Version: "v1beta1"}: {17750, 5},

	{Group: "authentication.k8s.io", Version: "v1"}:       {17700, 15},
	{Group: "authentication.k8s.io", Version: "v1beta1"}:  {17700, 9},
	{Group: "authentication.k8s.io", Version: "v1alpha1"}: {17700, 1},

	{Group: "authorization.k8s.io", Version: "v1"}: {17600, 15},

	{Group: "autoscaling", Version: "v2"}:      {17500, 30},
	{Group: "autoscaling", Version: "v1"}:      {17500, 15},
	{Group: "autoscaling", Version: "v2beta1"}: {17500, 9},
	{Group: "autoscaling", Version: "v2beta2"}: {17500, 1},

	{Group: "batch", Version: "v1"}:       {17400, 15},
	{Group: "batch", Version: "v1beta1"}:  {17400, 9},
	{Group: "batch", Version: "v2alpha1"}: {17400, 9},

	{Group: "certificates.k8s.io", Version: "v1"}:       {17300, 15},
	{Group: "certificates.k8s.io", Version: "v1alpha1"}: {17300, 1},

	{Group: "networking.k8s.io", Version: "v1"}:      {17200, 15},
	{Group: "networking.k8s.io", Version: "v1beta1"}: {17200, 9},

	{Group: "policy", Version: "v1"}:      {17100, 15},
	{Group: "policy", Version: "v1beta1"}: {17100, 9},

	{Group: "rbac.authorization.k8s.io", Version: "v1"}: {17000, 15},

	{Group: "storage.k8s.io", Version: "v1"}:       {16800, 15},
	{Group: "storage.k8s.io", Version: "v1beta1"}:  {16800, 9},
	{Group: "storage.k8s.io", Version: "v1alpha1"}: {16800, 1},

	{Group: "apiextensions.k8s.io", Version: "v1"}: {16700, 15},

	{Group: "admissionregistration.k8s.io", Version: "v1"}:       {16700, 15},
	{Group: "admissionregistration.k8s.io", Version: "v1beta1"}:  {16700, 12},
	{Group: "admissionregistration.k8s.io", Version: "v1alpha1"}: {16700, 9},

	{Group: "scheduling.k8s.io", Version: "v1"}: {16600, 15},

	{Group: "coordination.k8s.io", Version: "v1"}: {16500, 15},

	{Group: "node.k8s.io", Version: "v1"}:       {16300, 15},
	{Group: "node.k8s.io", Version: "v1beta1"}:  {16300, 9},
	{Group: "node.k8s.io", Version: "v1alpha1"}: {16300, 1},

	{Group: "discovery.k8s.io", Version: "v1"}:      {16200, 15},
	{Group: "discovery.k8s.io", Version: "v1beta1"}: {16200, 12},

	// resource.k8s.io and discovery.k8s.io share 16200 upstream.
	{Group: "resource.k8s.io", Version: "v1beta2"}:  {16200, 15},
	{Group: "resource.k8s.io", Version: "v1beta1"}:  {16200, 9},
	{Group: "resource.k8s.io", Version: "v1alpha3"}: {16200, 1},

	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}:       {16100, 21},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta3"}:  {16100, 18},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta2"}:  {16100, 15},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta1"}:  {16100, 12},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1alpha1"}: {16100, 9},

	{Group: "internal.apiserver.k8s.io", Version: "v1alpha1"}: {16000, 9},

	{Group: "storagemigration.k8s.io", Version: "v1alpha1"}: {15800, 9},
}

// DefaultPriorities returns a copy of kube-apiserver's priority table for its
// built-in group/versions.
func DefaultPriorities() map[schema.GroupVersion]Priority {
	out := make(map[schema.GroupVersion]Priority, len(kubePriorities))
	for gv, p := range kubePriorities {
		out[gv] = p
	}
	return out
}

// PriorityFor returns the priorities a local APIService for gv gets: the
// kube-apiserver table's entry when there is one; otherwise the group's
// priority from the table if it knows another version of the group, else
// DefaultGroupPriority, and a version priority by maturity.
func PriorityFor(gv schema.GroupVersion) Priority {
	if p, ok := kubePriorities[gv]; ok {
		return p
	}
	group := DefaultGroupPriority
	for known, p := range kubePriorities {
		if known.Group == gv.Group {
			group = p.Group
			break
		}
	}
	return Priority{Group: group, Version: versionPriorityByMaturity(gv.Version)}
}

// versionPriorityByMaturity ranks "vN" above "vNbetaM" above "vNalphaM";
// anything else ranks with alpha.
func versionPriorityByMaturity(version string) int32 {
	rest, ok := strings.CutPrefix(version, "v")
	if !ok {
		return alphaVersionPriority
	}
	suffix := strings.TrimLeft(rest, "0123456789")
	if len(suffix) == len(rest) {
		return alphaVersionPriority // no major number
	}
	switch {
	case suffix == "":
		return gaVersionPriority
	case isMaturity(suffix, "beta"):
		return betaVersionPriority
	default:
		return alphaVersionPriority
	}
}

// isMaturity reports whether suffix is name followed by a number, as "beta2".
func isMaturity(suffix, name string) bool {
	n, ok := strings.CutPrefix(suffix, name)
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}
