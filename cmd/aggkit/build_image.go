package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/aggkit/aggkit/pkg/image"
	"github.com/aggkit/aggkit/pkg/project"
	"github.com/aggkit/aggkit/pkg/projectbuild"
)

// imageFlags are the flags of `build image`; `run in-cluster --build`
// shares --platform.
type imageFlags struct {
	platforms string
}

func (f *imageFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.platforms, "platform", "linux/amd64", "Platforms to build for, comma-separated; several make a multi-platform index.")
}

// makeImage generates code when dir is a project, then builds the image
// and pushes or writes it.
func (f *imageFlags) makeImage(ctx context.Context, dir, ref string, push bool, out io.Writer) (image.Made, error) {
	platforms, err := image.ParsePlatforms(f.platforms)
	if err != nil {
		return image.Made{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return image.Made{}, err
	}
	p, err := project.Load(abs)
	if err != nil {
		return image.Made{}, err
	}
	if project.Exists(abs) {
		if err := projectbuild.Generate(ctx, abs, out); err != nil {
			return image.Made{}, err
		}
	}
	return image.Make(ctx, image.Options{Dir: abs, Name: p.Name, Platforms: platforms, Progress: out},
		ref, push, authn.DefaultKeychain)
}

func newBuildImageCommand() *cobra.Command {
	f := &imageFlags{}
	var dir, ref string
	var push bool
	cmd := &cobra.Command{
		Use:   "image [--push] [--image REF] [--platform linux/amd64,linux/arm64] [--dir DIR]",
		Short: "Build the server's container image, without Docker",
		Long: `Compile the server (CGO off, static, -trimpath, revision and date stamped) for each
platform and make an OCI image of it, with no container runtime: a base layer aggkit
writes (CA certificates, /etc/passwd with the non-root user 65532, /tmp), the binary as
the entrypoint, and the labels org.opencontainers.image.source, .revision and .version.
The same sources give the same digest: every timestamp is SOURCE_DATE_EPOCH, else the
commit time of HEAD.

Without --push the image goes under bin/image/: an OCI layout in oci/, and for one
platform <name>.tar for 'docker load -i' or 'podman load -i'.

With --push it goes to the registry named by --image, with the credentials of the
docker and podman config files (docker login / podman login), and the digest is
printed. 'aggkit build config' then pins the Deployment to image@digest.`,
		Example: `  aggkit build image
  aggkit build image --push --image registry.example.com/insurance:v0.1.0
  aggkit build image --push --image registry.example.com/insurance:v0.1.0 --platform linux/amd64,linux/arm64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			made, err := f.makeImage(cmd.Context(), dir, ref, push, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), made.Ref)
			return nil
		},
	}
	f.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&dir, "dir", ".", "The project folder (the server's main package).")
	cmd.Flags().StringVar(&ref, "image", "", "Image reference; required with --push (default: <name>:<git describe>).")
	cmd.Flags().BoolVar(&push, "push", false, "Push to the registry of --image instead of writing under bin/image.")
	return cmd
}
