package main

import (
	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/aggkit/aggkit/pkg/controlplane"
)

func newServeCommand() *cobra.Command {
	opts := controlplane.NewOptions()
	cmd := &cobra.Command{
		Use:   "serve --data-dir DIR",
		Short: "Run the aggregation control plane",
		Long: `Run the aggregation control plane: a Kubernetes API server with the APIService registry
and a small built-in core (namespaces, services, endpoints, configmaps, secrets, service
accounts, RBAC, reviews, admission and flow-control configuration).

With no --etcd-servers it keeps its data in an embedded etcd under --data-dir. Certificates
not given by flag are generated under DIR/pki on first start and reused afterwards, and
DIR/admin.kubeconfig gives a cluster-admin (system:masters) client.`,
		Example: `  aggkit serve --data-dir ./aggkit-data
  KUBECONFIG=./aggkit-data/admin.kubeconfig kubectl get apiservices`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := genericapiserver.SetupSignalContext()
			server, err := controlplane.New(ctx, opts)
			if err != nil {
				return err
			}
			return server.Run(ctx)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}
