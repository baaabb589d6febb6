package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "aggkit",
		Short: "Build, run and serve Kubernetes API extensions through the aggregation layer",
		Long: `aggkit is the Kubernetes API aggregation layer as one toolkit: the aggregation control
plane, and the workflow that takes a new API from an empty folder to a server registered
behind it, on a laptop or in a cluster.

  aggkit init repo                        start a project (a Go module on pkg/extension)
  aggkit create group version resource    add a kind, or a version of one
  aggkit build executables | image | docs | config
  aggkit run local                        control plane + the project's server, registered
  aggkit run in-cluster                   deploy the project's server to the current cluster
  aggkit doctor [APIService]              find the broken link of an aggregated API
  aggkit serve                            the aggregation control plane alone`,
		SilenceUsage: true,
	}
	root.AddCommand(
		newServeCommand(),
		group("init", "Start a new project", newInitRepoCommand()),
		group("create", "Add to a project",
			group("group", "Add to an API group",
				group("version", "Add to a version of an API group", newCreateResourceCommand()))),
		group("build", "Generate code, build binaries, API docs or deployment manifests",
			newBuildExecutablesCommand(), newBuildImageCommand(), newBuildDocsCommand(), newBuildConfigCommand()),
		group("run", "Run a project's server behind the aggregation layer",
			newRunLocalCommand(), newRunInClusterCommand()),
		newDoctorCommand(),
	)
	return root
}

// group is a command that only holds subcommands: run alone, it prints its
// help, and an unknown subcommand is an error (cobra's default for commands
// without Run is to print help and exit 0).
func group(use, short string, children ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.AddCommand(children...)
	return cmd
}
