package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aggkit/aggkit/pkg/doctor"
)

func newDoctorCommand() *cobra.Command {
	var (
		kubeconfig     string
		kubeContext    string
		serviceAccount string
		dialTimeout    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "doctor [APIService name]",
		Short: "Find which link between an APIService and its server is broken, and how to fix it",
		Long: `Walk the chain a person checks by hand when an aggregated API does not answer, and stop
explaining at the first broken link:

  apiservice  the APIService exists (its Available condition is shown)
  service     the Service exists and has the port spec.service.port names
  endpoints   EndpointSlices (else Endpoints) have ready addresses for that port
  tls         a handshake with an endpoint verifies with spec.caBundle for <service>.<namespace>.svc
  aggregator  the server accepts the aggregator's proxy client certificate
  discovery   /apis/<group>/<version> answers through the aggregator, with your credentials
  identity    the server's ServiceAccount may read kube-system/extension-apiserver-authentication
              and create TokenReviews and SubjectAccessReviews

Each link prints ok, FAIL (with what to fix) or skip. With no name, every APIService that has
spec.service is checked. doctor only reads; it exits non-zero when a link is broken.`,
		Example: `  aggkit doctor v1alpha1.wardle.example.com
  aggkit doctor --kubeconfig ./aggkit-data/admin.kubeconfig
  aggkit doctor v1.insurance.example.com --service-account insurance/apiserver`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []doctor.Option
			if serviceAccount != "" {
				namespace, name, found := strings.Cut(serviceAccount, "/")
				if !found || namespace == "" || name == "" {
					return fmt.Errorf("--service-account must be NAMESPACE/NAME, not %q", serviceAccount)
				}
				opts = append(opts, doctor.WithServiceAccount(namespace, name))
			}
			opts = append(opts, doctor.WithDialTimeout(dialTimeout))

			rules := clientcmd.NewDefaultClientConfigLoadingRules() // KUBECONFIG, then ~/.kube/config
			rules.ExplicitPath = kubeconfig
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
				&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
			if err != nil {
				return fmt.Errorf("load kubeconfig: %w", err)
			}
			apiService := ""
			if len(args) == 1 {
				apiService = args[0]
			}
			report, err := doctor.Run(cmd.Context(), cfg, apiService, cmd.OutOrStdout(), opts...)
			if err != nil {
				return err
			}
			if !report.OK() {
				cmd.SilenceUsage = true
				return fmt.Errorf("%d of %d APIServices have a broken link", len(report.Broken()), len(report.APIServices))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
	cmd.Flags().StringVar(&kubeContext, "context", "", "The kubeconfig context to use (default: the current context).")
	cmd.Flags().StringVar(&serviceAccount, "service-account", "",
		"NAMESPACE/NAME of the ServiceAccount the server runs as (default: found from its pods, or its RBAC bindings).")
	cmd.Flags().DurationVar(&dialTimeout, "dial-timeout", 3*time.Second,
		"How long to wait for each endpoint's TCP connect and TLS handshake before calling it not reachable from here.")
	return cmd
}
