package main

import (
	"github.com/spf13/cobra"

	"github.com/aggkit/aggkit/pkg/scaffold"
)

// newInitRepoCommand is `aggkit init repo`.
func newInitRepoCommand() *cobra.Command {
	o := scaffold.InitOptions{Dir: "."}
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Make a new extension API server project in the current folder",
		Long: `Make a new Go module with an extension API server on aggkit's pkg/extension:
go.mod (with the code generators and aggkit as go tool dependencies), aggkit.yaml,
main.go, server.go, zz_generated.resources.go, a test, a Makefile, a README and a
.gitignore. It builds and its test passes straight away.

aggkit is not on the module proxy: go.mod replaces github.com/aggkit/aggkit with the
source folder this aggkit was built from (or --aggkit-source), and requires the
modules aggkit requires at the same versions, so the project builds offline.

The folder must not have a go.mod or aggkit.yaml yet.`,
		Example: `  mkdir insurance && cd insurance
  aggkit init repo --domain example.com
  aggkit init repo --domain example.com --module github.com/me/insurance --dir insurance`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out = cmd.OutOrStdout()
			return scaffold.InitRepo(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", o.Dir, "project folder, made if missing")
	f.StringVar(&o.Domain, "domain", "", "domain of the API group: groups are named <group>.<domain> (required)")
	f.StringVar(&o.Module, "module", "", "Go module path (default <domain>/<name>)")
	f.StringVar(&o.Name, "name", "", "project name, for the binary, Service and namespace (default the folder's name)")
	f.StringVar(&o.AggkitSource, "aggkit-source", "", "aggkit source folder to build against (default the one this aggkit was built from)")
	_ = cmd.MarkFlagRequired("domain")
	return cmd
}
