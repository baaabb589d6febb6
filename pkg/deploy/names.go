package deploy

import "github.com/aggkit/aggkit/pkg/aggregator/resolve"

// FieldManager owns the fields aggkit applies.
const FieldManager = "aggkit"

// DefaultServiceAccount is the ServiceAccount the server runs as when none
// is named.
const DefaultServiceAccount = "apiserver"

// servicePort is the port the aggregator dials on the Service: the one an
// APIService names when it leaves spec.service.port unset.
const servicePort = resolve.DefaultServicePort

// APIServiceName is the name of the APIService for group/version, the form
// the aggregator requires: <version>.<group>.
func APIServiceName(group, version string) string { return version + "." + group }

// ServiceDNSNames are every name by which the Service name in namespace is
// reached inside a cluster; the serving certificate must carry them all.
// The aggregator dials <name>.<namespace>.svc.
func ServiceDNSNames(name, namespace string) []string {
	return []string{name, name + "." + namespace, name + "." + namespace + ".svc",
		name + "." + namespace + ".svc.cluster.local"}
}

// clusterName prefixes cluster-wide objects (and those in kube-system) with
// the namespace and name, so two servers never share a binding.
func clusterName(namespace, name, suffix string) string {
	return namespace + ":" + name + ":" + suffix
}
