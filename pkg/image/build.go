package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/aggkit/aggkit/pkg/projectbuild"
)

// Options say what Build builds.
type Options struct {
	// Dir is the folder of the server's main package.
	Dir string
	// Name names the binary (the entrypoint is /usr/local/bin/<Name>).
	Name string
	// Platforms to build for; linux/amd64 when empty.
	Platforms []v1.Platform
	// BinDir keeps the compiled binaries, in image/<os>-<arch>/<Name>;
	// default <Dir>/bin.
	BinDir string
	// Progress receives a line per step.
	Progress io.Writer
}

// Labels on every image (OCI annotation keys, as docker and podman show
// them).
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelRevision = "org.opencontainers.image.revision"
	LabelVersion  = "org.opencontainers.image.version"
	// LabelAggkitVersion is the aggkit that built the image.
	LabelAggkitVersion = "dev.aggkit.version"
)

// Built is the result of Build: one image, or an index of one image per
// platform.
type Built struct {
	// Image is set when one platform was built, Index when several were.
	Image  v1.Image
	Index  v1.ImageIndex
	Source Source
}

// Digest is the digest the image is pulled by.
func (b *Built) Digest() (v1.Hash, error) {
	if b.Index != nil {
		return b.Index.Digest()
	}
	return b.Image.Digest()
}

// Build compiles the server for each platform and makes its image.
func Build(ctx context.Context, o Options) (*Built, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = filepath.Base(dir)
	}
	if len(o.Platforms) == 0 {
		o.Platforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}}
	}
	if o.BinDir == "" {
		o.BinDir = filepath.Join(dir, "bin")
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	src, err := ReadSource(ctx, dir)
	if err != nil {
		return nil, err
	}
	base, err := baseLayer(src.Date)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	b := &Built{Source: src}
	var adds []mutate.IndexAddendum
	for _, p := range o.Platforms {
		start := time.Now()
		bin := binaryPath(o.BinDir, o.Name, p)
		fmt.Fprintf(progress, "==> compiling %s for %s\n", o.Name, p.String())
		stopTicking := projectbuild.Tick(progress, "compiling", start)
		err := compile(ctx, dir, bin, p, src)
		stopTicking()
		if err != nil {
			return nil, err
		}
		img, err := platformImage(base, bin, o.Name, p, src)
		if err != nil {
			return nil, err
		}
		digest, err := img.Digest()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "==> image for %s: %s (%s)\n", p.String(), digest, time.Since(start).Round(100*time.Millisecond))
		b.Image = img
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	if len(adds) > 1 {
		b.Image = nil
		b.Index = mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	}
	return b, nil
}

// platformImage puts the binary at bin on the base layer.
func platformImage(base v1.Layer, bin, name string, p v1.Platform, src Source) (v1.Image, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	app, err := binaryLayer(src.Date, name, data)
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	created := v1.Time{Time: src.Date}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "aggkit: base files", Comment: CACertificates + ", /etc/passwd, /tmp"}},
		mutate.Addendum{Layer: app, History: v1.History{Created: created, CreatedBy: "aggkit: go build " + name}})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = created
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.Config.Entrypoint = []string{BinaryDir + "/" + name}
	cfg.Config.User = fmt.Sprintf("%d:%d", NonRootUID, NonRootUID)
	cfg.Config.WorkingDir = "/"
	cfg.Config.Env = []string{"PATH=" + BinaryDir + ":/usr/bin:/bin", "SSL_CERT_FILE=" + CACertificates}
	cfg.Config.Labels = labels(src)
	return mutate.ConfigFile(img, cfg)
}

func labels(src Source) map[string]string {
	l := map[string]string{LabelVersion: src.Version, LabelAggkitVersion: aggkitVersion()}
	if src.URL != "" {
		l[LabelSource] = src.URL
	}
	if src.Revision != "" {
		l[LabelRevision] = src.Revision
	}
	return l
}

// aggkitVersion is the version of the running aggkit as Go recorded it: a
// module version when installed with go install, "(devel)" in a checkout.
func aggkitVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
