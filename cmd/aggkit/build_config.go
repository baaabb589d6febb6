package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/image"
	"github.com/aggkit/aggkit/pkg/project"
)

// deployFlags are the flags of `build config`, which `run in-cluster`
// shares.
type deployFlags struct {
	dir, output string
	config      deploy.Config
	// pinned says the image was pinned to the digest of the last
	// `build image --push`.
	pinned bool
}

func (f *deployFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.dir, "dir", ".", "The project folder; its aggkit.yaml gives the name, group and versions.")
	fs.StringVar(&f.output, "output", "config", "Folder of the manifests (relative to --dir); the serving CA is kept in its pki/ folder.")
	fs.StringVar(&f.config.Name, "name", "", "Name of the Service, Deployment and Secret (default: the project's name).")
	fs.StringVar(&f.config.Namespace, "namespace", "", "Namespace to run in, created by the manifests (default: --name).")
	fs.StringVar(&f.config.Image, "image", "", "Container image whose entrypoint is the server binary (default: the last 'build image --push', by digest).")
	fs.StringVar(&f.config.Group, "group", "", "API group served (default: the project's group).")
	fs.StringSliceVar(&f.config.Versions, "versions", nil, "Versions served, most preferred first; one APIService each (default: the project's versions, GA before beta before alpha).")
	fs.Int32Var(&f.config.Replicas, "replicas", 0, "Server replicas (default 2 with --etcd-servers; embedded storage runs exactly 1).")
	fs.StringSliceVar(&f.config.EtcdServers, "etcd-servers", nil, "etcd to store in. Empty: embedded etcd on a PersistentVolumeClaim.")
	fs.StringVar(&f.config.StorageSize, "storage-size", "1Gi", "Size of the embedded etcd's volume.")
	fs.StringVar(&f.config.ServiceAccount, "service-account", deploy.DefaultServiceAccount, "ServiceAccount the pods run as; the RBAC is bound to it.")
}

// resolve fills what the flags leave out from the project in --dir.
func (f *deployFlags) resolve() (deploy.Config, string, error) {
	c := f.config
	p, err := project.Load(f.dir)
	if err != nil {
		return c, "", err
	}
	if c.Name == "" {
		c.Name = p.Name
	}
	if c.Namespace == "" {
		c.Namespace = c.Name
	}
	if c.Group == "" {
		c.Group = p.Group
	}
	if len(c.Versions) == 0 {
		// Ranked as Kubernetes ranks them, not in creation order: a v1 added
		// after v1beta1 is still the preferred version.
		c.Versions = p.Versions()
	}
	if c.Group == "" || len(c.Versions) == 0 {
		return c, "", fmt.Errorf("no API group and versions: %s has no resources in %s; pass --group and --versions",
			f.dir, project.FileName)
	}
	if c.Image, f.pinned, err = image.Pin(filepath.Join(f.dir, "bin"), c.Image); err != nil {
		return c, "", err
	}
	out := f.output
	if !filepath.IsAbs(out) {
		out = filepath.Join(f.dir, out)
	}
	return c, out, nil
}

// write builds the manifests into the output folder, reporting the step.
func (f *deployFlags) write(w io.Writer) (deploy.Config, []runtime.Object, error) {
	c, out, err := f.resolve()
	if err != nil {
		return c, nil, err
	}
	start := time.Now()
	fmt.Fprintf(w, "==> writing manifests of %s/%s (%s %v) to %s\n", c.Namespace, c.Name, c.Group, c.Versions, out)
	if f.pinned {
		fmt.Fprintf(w, "==> image %s (the last push, by digest)\n", c.Image)
	}
	objs, err := deploy.WriteConfig(out, c)
	if err != nil {
		return c, nil, err
	}
	fmt.Fprintf(w, "==> wrote %d objects (%s); the serving CA stays in %s\n",
		len(objs), time.Since(start).Round(time.Millisecond), filepath.Join(out, deploy.PKIDir))
	return c, objs, nil
}

func newBuildConfigCommand() *cobra.Command {
	f := &deployFlags{}
	cmd := &cobra.Command{
		Use:   "config [--image IMG] [--name N] [--namespace NS] [--etcd-servers URL,...] [--output DIR]",
		Short: "Write the manifests that deploy the server to a cluster",
		Long: `Write plain manifests that run the project's server in a cluster and register it with
the aggregation layer, one file per concern plus a kustomization.yaml listing them
(kubectl apply -k config/, or a kustomize base):

  namespace.yaml      the Namespace
  rbac.yaml           the ServiceAccount; a ClusterRoleBinding to system:auth-delegator, a
                      RoleBinding in kube-system to extension-apiserver-authentication-reader,
                      and a ClusterRole (namespaces, admission configuration, flow control)
                      with its binding, all for that ServiceAccount
  serving-cert.yaml   a kubernetes.io/tls Secret: the serving certificate for every DNS form
                      of the Service, its key, and the CA (ca.crt)
  storage.yaml        without --etcd-servers: the embedded etcd's PersistentVolumeClaim
  deployment.yaml     the server: probes on /readyz and /livez, resources, non-root with a
                      read-only root filesystem
  pdb.yaml            a PodDisruptionBudget
  service.yaml        the Service, port 443 to the pods' https port
  apiservice.yaml     one APIService per version, with caBundle (never insecureSkipTLSVerify)

The CA (valid 10 years) signs the serving certificate (1 year). Its key stays in
<output>/pki, out of the cluster; the next build reuses it, so the caBundle does not
change, and reissues the certificate only when needed. serving-cert.yaml holds the
server's private key: treat it as a secret (pki/ has a .gitignore for the keys).

Without --etcd-servers the server keeps its data in an embedded etcd on a volume, which
one pod can use at a time: 1 replica, replaced with the Recreate strategy. For more
replicas, point it at an etcd cluster.

The image is not built or pushed here ('aggkit build image --push' does that); its
entrypoint must be the server binary. After a push, the image (the one pushed when --image
is left out, or the same reference) is pinned to the pushed digest.`,
		Example: `  aggkit build config --image registry.example.com/insurance:v0.1.0
  aggkit build config --name wardle --namespace wardle --group wardle.example.com \
      --versions v1beta1,v1alpha1 --image registry.example.com/wardle:v1 \
      --etcd-servers https://etcd-0.etcd:2379,https://etcd-1.etcd:2379
  kubectl apply -k config/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, _, err := f.write(cmd.OutOrStdout())
			return err
		},
	}
	f.addFlags(cmd.Flags())
	return cmd
}
