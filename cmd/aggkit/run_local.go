package main

import (
	"path/filepath"

	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/aggkit/aggkit/pkg/runlocal"
)

func newRunLocalCommand() *cobra.Command {
	o := runlocal.Options{Dir: "."}
	cmd := &cobra.Command{
		Use:   "local [--dir DIR] [--state-dir DIR] [--port PORT]",
		Short: "Build the project and run it behind an in-process control plane",
		Long: `Build the project (generators, then go build into bin/), start the aggkit control
plane in this process (embedded etcd), start the project's server, register it (Service
and Endpoints on 127.0.0.1, RBAC for its service account, one APIService per version with
caBundle), wait until every APIService is Available and print the export KUBECONFIG line.

Everything a later run reuses lives in --state-dir (default <dir>/.aggkit): the control
plane's data and certificates, the server's serving CA and its data. Logs go to
controlplane.log and server.log there. Ctrl-C stops the server and the control plane.`,
		Example: `  cd examples/wardle && aggkit run local
  export KUBECONFIG=$PWD/.aggkit/controlplane/admin.kubeconfig
  kubectl get flunders`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out = cmd.OutOrStdout()
			state, err := o.ResolveStateDir()
			if err != nil {
				return err
			}
			restoreLog, err := logControlPlaneTo(filepath.Join(state, runlocal.ControlPlaneLog))
			if err != nil {
				return err
			}
			defer restoreLog()
			return runlocal.Run(genericapiserver.SetupSignalContext(), o)
		},
	}
	cmd.Flags().StringVar(&o.Dir, "dir", o.Dir, "The project folder.")
	cmd.Flags().StringVar(&o.StateDir, "state-dir", o.StateDir, "Where data, certificates and logs are kept across runs (default <dir>/.aggkit).")
	cmd.Flags().IntVar(&o.Port, "port", 0, "The control plane's port on 127.0.0.1; it must be free. "+
		"Without it: the port of this project's last run, else 6443, and a free port when that one is taken (kept in <state-dir>/port).")
	return cmd
}
