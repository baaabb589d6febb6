package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aggkit/aggkit/pkg/projectbuild"
)

func newBuildExecutablesCommand() *cobra.Command {
	dir := "."
	cmd := &cobra.Command{
		Use:   "executables [--dir DIR]",
		Short: "Run the code generators, then build the server into bin/",
		Long: `Run the code generators (deepcopy and OpenAPI for every apis/<version> package), then
go build the project's main package into bin/<name>, where <name> is aggkit.yaml's name or
the folder's name.`,
		Example: `  aggkit build executables
  ./bin/wardle --help`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, err := projectbuild.Build(cmd.Context(), dir, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), bin)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", dir, "The project folder.")
	return cmd
}
