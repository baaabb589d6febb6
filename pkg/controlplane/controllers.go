package controlplane

import (
	"context"

	"k8s.io/client-go/metadata"

	"github.com/aggkit/aggkit/pkg/controlplane/nsdelete"
	"github.com/aggkit/aggkit/pkg/rbac/aggregation"
)

// controller is a loop the server runs from a post-start hook of its name.
type controller struct {
	name string
	run  func(ctx context.Context)
}

// newControllers builds the control plane's own controllers. Building one
// asks the shared informer factory for its informers, so New builds them
// all before the generic server runs: the factory is started once, by the
// generic server's generic-apiserver-start-informers hook, and an informer
// asked for after that would never start. Post-start hooks run
// concurrently, so no hook may ask for one.
func newControllers(deps *dependencies) ([]controller, error) {
	serviceAccounts, err := newDefaultServiceAccounts(deps.informers, deps.client)
	if err != nil {
		return nil, err
	}
	clusterRoles, err := aggregation.NewController(deps.informers.Rbac().V1().ClusterRoles(), deps.client.RbacV1())
	if err != nil {
		return nil, err
	}
	md, err := metadata.NewForConfig(deps.loopback)
	if err != nil {
		return nil, err
	}
	namespaces := nsdelete.New(deps.client, md, deps.client.Discovery(), deps.informers.Core().V1().Namespaces())
	return []controller{
		{"default-serviceaccounts", func(ctx context.Context) { serviceAccounts.Run(ctx, 1) }},
		{"rbac/aggregate-cluster-roles", func(ctx context.Context) { clusterRoles.Run(ctx, 1) }},
		{"namespace-deletion", func(ctx context.Context) { namespaces.Run(ctx, 2) }},
	}, nil
}
