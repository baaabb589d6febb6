package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteLayout writes the image (or index) as an OCI image layout in dir,
// replacing what was there, tagged ref in the layout's index
// (org.opencontainers.image.ref.name), as `skopeo copy oci:DIR` and
// `podman pull oci:DIR` read it.
func (b *Built) WriteLayout(dir string, ref name.Reference) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	tag := layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref.Name()})
	if b.Index != nil {
		err = p.AppendIndex(b.Index, tag)
	} else {
		err = p.AppendImage(b.Image, tag)
	}
	if err != nil {
		return fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	return nil
}

// WriteTarball writes a single-platform image as a tarball that
// `docker load` and `podman load` take, tagged ref. An index has no such
// form: docker load takes one platform at a time.
func (b *Built) WriteTarball(path string, ref name.Reference) error {
	if b.Image == nil {
		return fmt.Errorf("a tarball holds one platform; this build has several (use the OCI layout or --push)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, b.Image); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// Push sends the image (or the index and its images) to the registry of
// ref, with credentials from keychain (authn.DefaultKeychain reads the
// docker and podman config files and their credential helpers), and
// returns the reference by digest.
func (b *Built) Push(ctx context.Context, ref name.Reference, keychain authn.Keychain) (name.Digest, error) {
	var t remote.Taggable = b.Image
	if b.Index != nil {
		t = b.Index
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain)}
	if err := remote.Push(ref, t, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("push %s: %w", ref.Name(), err)
	}
	digest, err := b.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return ref.Context().Digest(digest.String()), nil
}

// Platforms lists the platforms of the build, in order.
func (b *Built) Platforms() ([]v1.Platform, error) {
	if b.Index == nil {
		cfg, err := b.Image.ConfigFile()
		if err != nil {
			return nil, err
		}
		return []v1.Platform{*cfg.Platform()}, nil
	}
	m, err := b.Index.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []v1.Platform
	for _, d := range m.Manifests {
		out = append(out, *d.Platform)
	}
	return out, nil
}
