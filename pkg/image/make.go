package image

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// Made says where Make put the image.
type Made struct {
	// Ref is the image to deploy: pinned to its digest when pushed.
	Ref string
	// Digest of the image or index.
	Digest string
	// Layout and Tarball are the files written when not pushed; Tarball
	// only for a single platform.
	Layout, Tarball string
}

// Make builds the image as o says, then pushes it to image's registry
// (push) or writes it under o.BinDir/image: an OCI layout in oci/ and,
// for one platform, <name>.tar for docker/podman load. An empty image is
// <name>:<source version> (only when not pushing: a push needs a
// registry).
func Make(ctx context.Context, o Options, image string, push bool, keychain authn.Keychain) (Made, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return Made{}, err
	}
	o.Dir = dir
	if o.Name == "" {
		o.Name = filepath.Base(dir)
	}
	if o.BinDir == "" {
		o.BinDir = filepath.Join(dir, "bin")
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	if push && image == "" {
		return Made{}, fmt.Errorf("--push needs --image naming the registry and repository, e.g. registry.example.com/%s:v1", o.Name)
	}
	b, err := Build(ctx, o)
	if err != nil {
		return Made{}, err
	}
	if image == "" {
		image = o.Name + ":" + tagOf(b.Source.Version)
	}
	ref, err := name.ParseReference(image)
	if err != nil {
		return Made{}, fmt.Errorf("image %q: %w", image, err)
	}
	digest, err := b.Digest()
	if err != nil {
		return Made{}, err
	}
	made := Made{Ref: image, Digest: digest.String()}
	if push {
		fmt.Fprintf(progress, "==> pushing %s\n", image)
		pinned, err := b.Push(ctx, ref, keychain)
		if err != nil {
			return made, err
		}
		made.Ref = image + "@" + pinned.DigestStr()
		if err := RecordPush(o.BinDir, Pushed{Image: image, Digest: pinned.DigestStr()}); err != nil {
			return made, err
		}
		fmt.Fprintf(progress, "==> pushed %s\n", made.Ref)
		return made, nil
	}
	made.Layout = filepath.Join(o.BinDir, "image", "oci")
	if err := b.WriteLayout(made.Layout, ref); err != nil {
		return made, err
	}
	fmt.Fprintf(progress, "==> wrote OCI layout %s (%s)\n", made.Layout, made.Digest)
	if b.Image != nil {
		made.Tarball = filepath.Join(o.BinDir, "image", o.Name+".tar")
		if err := b.WriteTarball(made.Tarball, ref); err != nil {
			return made, err
		}
		fmt.Fprintf(progress, "==> wrote %s (docker load -i / podman load -i)\n", made.Tarball)
	}
	return made, nil
}

var notInTag = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// tagOf makes a source version a valid tag.
func tagOf(version string) string {
	tag := notInTag.ReplaceAllString(version, "-")
	if tag == "" || tag[0] == '.' || tag[0] == '-' {
		tag = "v" + tag
	}
	if len(tag) > 128 {
		tag = tag[:128]
	}
	return tag
}
