package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/pkg/deploy"
)

func newRunInClusterCommand() *cobra.Command {
	f := &deployFlags{}
	imageFlags := &imageFlags{}
	var build bool
	var kubeconfig, kubeContext string
	timeout := 5 * time.Minute
	cmd := &cobra.Command{
		Use:   "in-cluster --image IMG [--build] [--name N] [--namespace NS] [build config flags] [--timeout 5m]",
		Short: "Deploy the server to the current cluster and wait until it is Available",
		Long: `With --build, first build the server's image and push it to --image, as
'aggkit build image --push' does; the Deployment then runs it by digest. Then write the
manifests as 'aggkit build config' does, apply them to the cluster of the
current kubeconfig (--kubeconfig, else $KUBECONFIG, else ~/.kube/config) with server-side
apply (field manager "aggkit"), then wait until every APIService is Available. Each step
is printed; when the wait times out, the APIServices' reasons are shown, and
'aggkit doctor <apiservice>' tells which link is broken.

Without --build the image must already be pushed where the cluster can pull it.`,
		Example: `  aggkit run in-cluster --build --image registry.example.com/insurance:v0.1.0
  aggkit run in-cluster --image registry.example.com/insurance:v0.1.0
  aggkit run in-cluster --kubeconfig ~/.kube/staging --namespace insurance-system \
      --image registry.example.com/insurance:v0.1.0 --etcd-servers https://etcd:2379`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			start := time.Now()
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			rules.ExplicitPath = kubeconfig
			restConfig, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
				&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
			if err != nil {
				return fmt.Errorf("kubeconfig: %w", err)
			}
			// signal.NotifyContext, not SetupSignalContext: that one may be
			// called once per process, and tests run this command more often.
			signalCtx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if build {
				if f.config.Image == "" {
					return errors.New("--build needs --image: the registry and repository to push to, e.g. registry.example.com/insurance:v1")
				}
				made, err := imageFlags.makeImage(signalCtx, f.dir, f.config.Image, true, out)
				if err != nil {
					return err
				}
				f.config.Image = made.Ref
			}
			c, objs, err := f.write(out)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(signalCtx, timeout)
			defer cancel()
			fmt.Fprintf(out, "==> applying %d objects to %s\n", len(objs), restConfig.Host)
			if err := deploy.Apply(ctx, restConfig, objs, out); err != nil {
				return err
			}
			names := c.APIServiceNames()
			fmt.Fprintf(out, "==> waiting for %v to become Available (timeout %s)\n", names, timeout)
			if err := deploy.WaitAvailable(ctx, restConfig, names, out); err != nil {
				return fmt.Errorf("%w\n(see: kubectl -n %s get pods,endpoints; aggkit doctor %s)", err, c.Namespace, names[0])
			}
			fmt.Fprintf(out, "==> %s/%s is Available (%s)\n", c.Namespace, c.Name, time.Since(start).Round(100*time.Millisecond))
			return nil
		},
	}
	f.addFlags(cmd.Flags())
	imageFlags.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&build, "build", false, "Build the image and push it to --image first (no container runtime needed).")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "Path to the kubeconfig (default: $KUBECONFIG, else ~/.kube/config).")
	cmd.Flags().StringVar(&kubeContext, "context", "", "The kubeconfig context to use (default: its current context).")
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "How long to wait for the apply and for the APIServices to become Available.")
	return cmd
}
