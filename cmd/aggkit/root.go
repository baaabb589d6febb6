package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "aggkit",
		Short: "Build, run and serve Kubernetes API extensions through the aggregation layer",
		Long: `aggkit is the Kubernetes API aggregation layer as one toolkit.

  aggkit serve     runs the aggregation control plane (with a small built-in core API,
                   on embedded etcd by default), so that extension API servers run with no cluster.`,
		SilenceUsage: true,
	}
	root.AddCommand(newServeCommand())
	return root
}
