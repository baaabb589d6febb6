package main

import (
	"github.com/spf13/cobra"

	"github.com/aggkit/aggkit/pkg/scaffold"
)

// newCreateResourceCommand is `aggkit create group version resource`.
func newCreateResourceCommand() *cobra.Command {
	o := scaffold.ResourceOptions{Dir: "."}
	var namespaced, status bool
	cmd := &cobra.Command{
		Use:   "resource",
		Short: "Add a kind in a version of the project's API group",
		Long: `Add a kind in a version to the project made by aggkit init repo: the type in
apis/<version>/<kind>_types.go (with a sample spec, a status with --status, and
cluster-wide with --namespaced=false), its entry in aggkit.yaml, its registration in
zz_generated.resources.go, the generated deep-copy and OpenAPI code, and a test of it
in server_test.go (as long as you have not edited that file).

The first version of a kind is its hub: the server stores it and converts every other
version through it. Adding a second version of a kind writes the same fields and a
field-by-field conversion in apis/<version>/<kind>_conversion.go.

A project serves one group, <group>.<domain>; a different group is refused.
Running it again for a kind and version that exist says so, changes nothing and
succeeds.`,
		Example: `  aggkit create group version resource --group insurance --version v1beta1 --kind Policy --status
  aggkit create group version resource --group insurance --version v1 --kind Policy
  aggkit create group version resource --group insurance --version v1beta1 --kind Insurer --namespaced=false`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("namespaced") {
				o.Namespaced = &namespaced
			}
			if cmd.Flags().Changed("status") {
				o.Status = &status
			}
			o.Out = cmd.OutOrStdout()
			return scaffold.CreateResource(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", o.Dir, "project folder")
	f.StringVar(&o.Group, "group", "", "API group without the domain, e.g. insurance (required)")
	f.StringVar(&o.Version, "version", "", "API version, e.g. v1alpha1, v1beta1 or v1 (required)")
	f.StringVar(&o.Kind, "kind", "", "CamelCase kind, e.g. Policy (required)")
	f.BoolVar(&namespaced, "namespaced", true, "objects live in namespaces; false makes the kind cluster-wide")
	f.BoolVar(&status, "status", false, "give the kind a status and a /status subresource")
	for _, name := range []string{"group", "version", "kind"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
