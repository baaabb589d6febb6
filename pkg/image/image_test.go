package image

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// wardleDir is the sample server: a real main package, already generated.
const wardleDir = "../../examples/wardle"

// startRegistry serves go-containerregistry's registry on loopback until
// the test ends and returns its host:port. (Loopback registries are
// spoken to over plain HTTP.)
func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestPushPullWardle builds wardle's image, pushes it to a registry, pulls
// it back by digest and checks what a cluster relies on: the OCI media
// types, the entrypoint, the non-root user, the labels, both layers and the
// binary in them (static, trimmed, stamped). A second build of the same
// sources has the same digest.
func TestPushPullWardle(t *testing.T) {
	host := startRegistry(t)
	binDir := t.TempDir()
	var progress bytes.Buffer
	made, err := Make(t.Context(), Options{Dir: wardleDir, BinDir: binDir, Progress: &progress},
		host+"/aggkit/wardle:test", true, authn.DefaultKeychain)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	t.Logf("pushed %s\n%s", made.Ref, progress.String())
	if !strings.Contains(progress.String(), "==> pushed "+made.Ref) {
		t.Errorf("progress does not name the pinned reference:\n%s", progress.String())
	}
	ref, err := name.NewDigest(made.Ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s", mt)
	}
	src, err := ReadSource(t.Context(), wardleDir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Config.Entrypoint, " "); got != "/usr/local/bin/wardle" {
		t.Errorf("entrypoint %q", got)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("user %q", cfg.Config.User)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cfg.OS, cfg.Architecture)
	}
	if !cfg.Created.Time.Equal(src.Date) || src.Date.Unix() == 0 {
		t.Errorf("created %s, want the commit date %s", cfg.Created.Time, src.Date)
	}
	labels := cfg.Config.Labels
	if src.Revision == "" || labels[LabelRevision] != src.Revision {
		t.Errorf("revision label %q, git HEAD %q", labels[LabelRevision], src.Revision)
	}
	if labels[LabelVersion] != src.Version || labels[LabelAggkitVersion] == "" {
		t.Errorf("labels %v", labels)
	}
	if _, ok := labels[LabelSource]; ok != (src.URL != "") {
		t.Errorf("source label %q, origin %q", labels[LabelSource], src.URL)
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("%d layers, want base and binary", len(layers))
	}
	base := readLayer(t, layers[0], src.Date)
	if !strings.Contains(string(base["etc/passwd"].data), "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd:\n%s", base["etc/passwd"].data)
	}
	if tmp := base["tmp/"]; tmp.header == nil || tmp.header.Typeflag != tar.TypeDir || tmp.header.Mode != 0o1777 {
		t.Errorf("/tmp: %+v", tmp.header)
	}
	if home := base["home/nonroot/"]; home.header == nil || home.header.Uid != NonRootUID {
		t.Errorf("home of nonroot: %+v", home.header)
	}
	if n := countCertificates(t, base[CACertificates[1:]].data); n < 100 {
		t.Errorf("%d CA certificates", n)
	}
	app := readLayer(t, layers[1], src.Date)
	wardle := app["usr/local/bin/wardle"]
	if wardle.header == nil || wardle.header.Mode != 0o755 {
		t.Fatalf("binary entry %+v", wardle.header)
	}
	checkBinary(t, wardle.data, src, elf.EM_X86_64)

	again, err := Build(t.Context(), Options{Dir: wardleDir, BinDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := again.Digest(); d.String() != ref.DigestStr() {
		t.Errorf("second build of the same sources: %s, first %s", d, ref.DigestStr())
	}
	if pinned, ok, err := Pin(binDir, ""); err != nil || !ok || pinned != made.Ref {
		t.Errorf("Pin after push: %q %v %v, want %q", pinned, ok, err, made.Ref)
	}
}

type tarEntry struct {
	header *tar.Header
	data   []byte
}

// readLayer reads an uncompressed layer, checking that its entries are
// sorted and stamped with the source date and root or nonroot owners.
func readLayer(t *testing.T, l v1.Layer, date time.Time) map[string]tarEntry {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]tarEntry{}
	tr := tar.NewReader(rc)
	last := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name <= last {
			t.Errorf("entry %s after %s", h.Name, last)
		}
		last = h.Name
		if !h.ModTime.Equal(date) || (h.Uid != 0 && h.Uid != NonRootUID) || h.Gid != h.Uid {
			t.Errorf("%s: mtime %s uid %d gid %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = tarEntry{header: h, data: data}
	}
	return entries
}

func countCertificates(t *testing.T, data []byte) int {
	t.Helper()
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Fatalf("certificate %d: %v", n, err)
		}
		n++
	}
	return n
}

// checkBinary checks the binary's machine and, through the build
// information Go records in it, that it was built static, trimmed and
// stamped with the source.
func checkBinary(t *testing.T, data []byte, src Source, machine elf.Machine) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != machine {
		t.Errorf("ELF machine %s, want %s", f.Machine, machine)
	}
	if interp := f.Section(".interp"); interp != nil {
		t.Errorf("binary asks for a dynamic loader")
	}
	path := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("go", "version", "-m", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, info)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true", "gitCommit=" + src.Revision,
		"buildDate=" + src.Date.Format(time.RFC3339)} {
		if !strings.Contains(string(info), want) {
			t.Errorf("build info lacks %q:\n%s", want, info)
		}
	}
}

// TestTwoPlatformsMakeAnIndex builds for amd64 and arm64 (the one test
// that compiles for arm64) and writes the OCI layout: an index with one
// image per platform, each with its own binary.
func TestTwoPlatformsMakeAnIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the server for arm64")
	}
	platforms, err := ParsePlatforms("linux/amd64,linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	binDir := t.TempDir()
	made, err := Make(t.Context(), Options{Dir: wardleDir, BinDir: binDir, Platforms: platforms}, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if made.Tarball != "" {
		t.Errorf("a tarball %s for two platforms", made.Tarball)
	}
	p, err := layout.FromPath(made.Layout)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	topManifest, err := top.IndexManifest()
	if err != nil || len(topManifest.Manifests) != 1 {
		t.Fatalf("layout index: %v %+v", err, topManifest)
	}
	if d := topManifest.Manifests[0]; d.Digest.String() != made.Digest || d.MediaType != types.OCIImageIndex {
		t.Errorf("layout holds %s %s, made %s", d.MediaType, d.Digest, made.Digest)
	}
	idx, err := top.ImageIndex(topManifest.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	src, err := ReadSource(t.Context(), wardleDir)
	if err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	if len(m.Manifests) != 2 {
		t.Fatalf("%d manifests", len(m.Manifests))
	}
	for i, d := range m.Manifests {
		if d.Platform == nil || d.Platform.String() != platforms[i].String() {
			t.Errorf("manifest %d for %v, want %s", i, d.Platform, platforms[i])
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil || cfg.Architecture != d.Platform.Architecture {
			t.Fatalf("config %v %+v", err, cfg)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		app := readLayer(t, layers[len(layers)-1], src.Date)
		checkBinary(t, app["usr/local/bin/wardle"].data, src, machines[d.Platform.Architecture])
	}
}

// TestLayoutAndTarballHoldTheImage writes a single-platform build both
// ways and reads each back to the same config.
func TestLayoutAndTarballHoldTheImage(t *testing.T) {
	binDir := t.TempDir()
	made, err := Make(t.Context(), Options{Dir: wardleDir, BinDir: binDir}, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if made.Layout != filepath.Join(binDir, "image", "oci") || made.Tarball != filepath.Join(binDir, "image", "wardle.tar") {
		t.Errorf("wrote %+v", made)
	}
	p, err := layout.FromPath(made.Layout)
	if err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(made.Digest)
	if err != nil {
		t.Fatal(err)
	}
	fromLayout, err := p.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("wardle:" + tagOf(mustSource(t).Version))
	if err != nil {
		t.Fatal(err)
	}
	fromTar, err := tarball.ImageFromPath(made.Tarball, &tag)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := fromLayout.ConfigName()
	b, err := fromTar.ConfigName()
	if err != nil || a != b {
		t.Errorf("config in layout %s, in tarball %s (%v)", a, b, err)
	}
}

func mustSource(t *testing.T) Source {
	t.Helper()
	s, err := ReadSource(t.Context(), wardleDir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
