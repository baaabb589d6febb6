package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/aggkit/aggkit/pkg/image"
)

// wardleCommitDate is when writeWardleProject commits: the image's date.
var wardleCommitDate = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestPushPullWardle pulls the pushed wardle image back by digest and checks
// what a cluster relies on: the OCI media types, the entrypoint, the
// non-root user, the labels, both layers and the binary in them (static,
// trimmed, stamped). A second build of the same sources, in another folder,
// has the same digest. (TestReadmeInCluster runs the binary from this image
// against aggkit serve until its APIService is Available.)
func TestPushPullWardle(t *testing.T) {
	p := pushedWardle(t)
	t.Logf("aggkit build image --push:\n%s", p.Output)
	for _, step := range []string{"==> compiling wardle for linux/amd64", "==> pushing " + p.Repo + ":v0.1.0", "==> pushed " + p.Pinned} {
		if !strings.Contains(p.Output, step) {
			t.Errorf("build image --push does not say %q:\n%s", step, p.Output)
		}
	}
	ref, err := name.NewDigest(p.Pinned)
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
	src, err := image.ReadSource(t.Context(), p.Project)
	if err != nil {
		t.Fatal(err)
	}
	if src.Revision == "" || !src.Date.Equal(wardleCommitDate) || src.Dirty {
		t.Fatalf("source %+v, want the project's clean commit of %s", src, wardleCommitDate)
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
	if !cfg.Created.Time.Equal(wardleCommitDate) {
		t.Errorf("created %s, want the commit date %s", cfg.Created.Time, wardleCommitDate)
	}
	labels := cfg.Config.Labels
	want := map[string]string{image.LabelRevision: src.Revision, image.LabelVersion: src.Version,
		image.LabelSource: "https://example.com/aggkit/wardle.git"}
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("label %s=%q, want %q", k, labels[k], v)
		}
	}
	if labels[image.LabelAggkitVersion] == "" {
		t.Errorf("no %s label: %v", image.LabelAggkitVersion, labels)
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("%d layers, want base and binary", len(layers))
	}
	base := readLayer(t, layers[0], wardleCommitDate)
	if !strings.Contains(string(base["etc/passwd"].data), "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd:\n%s", base["etc/passwd"].data)
	}
	if tmp := base["tmp/"]; tmp.header == nil || tmp.header.Typeflag != tar.TypeDir || tmp.header.Mode != 0o1777 {
		t.Errorf("/tmp: %+v", tmp.header)
	}
	if home := base["home/nonroot/"]; home.header == nil || home.header.Uid != image.NonRootUID {
		t.Errorf("home of nonroot: %+v", home.header)
	}
	if n := countCertificates(t, base[image.CACertificates[1:]].data); n < 100 {
		t.Errorf("%d CA certificates", n)
	}
	app := readLayer(t, layers[1], wardleCommitDate)
	wardle := app["usr/local/bin/wardle"]
	if wardle.header == nil || wardle.header.Mode != 0o755 {
		t.Fatalf("binary entry %+v", wardle.header)
	}
	checkBinary(t, wardle.data, elf.EM_X86_64, src.Revision, wardleCommitDate.Format(time.RFC3339))

	again := rebuiltWardle(t)
	t.Logf("aggkit build image, again in a copy:\n%s", again.Output)
	if again.Digest != ref.DigestStr() {
		t.Errorf("second build of the same sources: %s, first %s\n%s", again.Digest, ref.DigestStr(), again.Output)
	}
}

// TestLayoutAndTarballHoldTheImage: without --push, build image writes an
// OCI layout and a docker/podman-load tarball under bin/image, each holding
// the image that was pushed.
func TestLayoutAndTarballHoldTheImage(t *testing.T) {
	r := rebuiltWardle(t)
	if r.Layout != filepath.Join(r.Project, "bin", "image", "oci") || r.Tarball != filepath.Join(r.Project, "bin", "image", "wardle.tar") {
		t.Errorf("wrote %s and %s", r.Layout, r.Tarball)
	}
	h, err := v1.NewHash(r.Digest)
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(r.Layout)
	if err != nil {
		t.Fatal(err)
	}
	fromLayout, err := p.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	manifests, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(r.Tarball) })
	if err != nil || len(manifests) != 1 || len(manifests[0].RepoTags) != 1 || !strings.HasPrefix(manifests[0].RepoTags[0], "wardle:") {
		t.Fatalf("docker-load manifest of %s: %+v (%v)", r.Tarball, manifests, err)
	}
	tag, err := name.NewTag(manifests[0].RepoTags[0])
	if err != nil {
		t.Fatal(err)
	}
	fromTar, err := tarball.ImageFromPath(r.Tarball, &tag)
	if err != nil {
		t.Fatal(err)
	}
	a, err := fromLayout.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	b, err := fromTar.ConfigName()
	if err != nil || a != b {
		t.Errorf("config in layout %s, in tarball %s (%v)", a, b, err)
	}
	pushed, err := name.NewDigest(pushedWardle(t).Pinned)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := fromLayout.Digest(); d.String() != pushed.DigestStr() {
		t.Errorf("layout holds %s, the push was %s", d, pushed.DigestStr())
	}
}

// TestTwoPlatformsMakeAnIndex builds a tiny main package (not the server:
// that would cross-compile Kubernetes) for linux/amd64 and linux/arm64: the
// layout holds an index of one image per platform, each with its own
// binary, and pushing it gives the same index.
func TestTwoPlatformsMakeAnIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny")
	if err := copyDir("testdata/tiny", dir); err != nil {
		t.Fatal(err)
	}
	const platforms = "linux/amd64,linux/arm64"
	out, err := runAggkit(dir, "build", "image", "--platform", platforms)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("aggkit build image --platform %s:\n%s", platforms, out)
	m := layoutLine.FindStringSubmatch(out)
	if m == nil || tarLine.MatchString(out) {
		t.Fatalf("want an OCI layout and no tarball (one image only) for two platforms")
	}
	p, err := layout.FromPath(m[1])
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
	if d := topManifest.Manifests[0]; d.Digest.String() != m[2] || d.MediaType != types.OCIImageIndex {
		t.Errorf("layout holds %s %s, build image printed %s", d.MediaType, d.Digest, m[2])
	}
	idx, err := top.ImageIndex(topManifest.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	machines := []struct {
		platform string
		machine  elf.Machine
	}{{"linux/amd64", elf.EM_X86_64}, {"linux/arm64", elf.EM_AARCH64}}
	if len(im.Manifests) != len(machines) {
		t.Fatalf("%d manifests in the index", len(im.Manifests))
	}
	for i, d := range im.Manifests {
		want := machines[i]
		if d.Platform == nil || d.Platform.String() != want.platform {
			t.Errorf("manifest %d for %v, want %s", i, d.Platform, want.platform)
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil || cfg.Architecture != d.Platform.Architecture || cfg.Config.Entrypoint[0] != "/usr/local/bin/tiny" {
			t.Fatalf("config %v %+v", err, cfg)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		bin := readLayer(t, layers[len(layers)-1], time.Unix(0, 0))["usr/local/bin/tiny"].data
		path := checkBinary(t, bin, want.machine)
		if want.platform == "linux/amd64" {
			if out, err := exec.Command(path).CombinedOutput(); err != nil || string(out) != "tiny linux/amd64\n" {
				t.Errorf("the amd64 binary printed %q (%v)", out, err)
			}
		}
	}

	out, err = runAggkit(dir, "build", "image", "--push", "--image", imageRegistry()+"/tiny:v1", "--platform", platforms)
	if err != nil {
		t.Fatal(err)
	}
	pinned := pushedLine.FindStringSubmatch(out)
	if pinned == nil {
		t.Fatalf("no pushed digest:\n%s", out)
	}
	ref, err := name.NewDigest(pinned[1])
	if err != nil {
		t.Fatal(err)
	}
	if ref.DigestStr() != m[2] {
		t.Errorf("pushed %s, the layout holds %s", ref.DigestStr(), m[2])
	}
	pulled, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := pulled.MediaType(); mt != types.OCIImageIndex {
		t.Errorf("pushed index media type %s", mt)
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
		if !h.ModTime.Equal(date) || (h.Uid != 0 && h.Uid != image.NonRootUID) || h.Gid != h.Uid {
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

// checkBinary checks the binary's machine, that Go recorded it as built
// static and trimmed, and that it holds the stamped values (go does not
// record -ldflags with -trimpath). It returns the binary written to a file.
func checkBinary(t *testing.T, data []byte, machine elf.Machine, stamps ...string) string {
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
	for _, w := range []string{"\tCGO_ENABLED=0\n", "\t-trimpath=true\n"} {
		if !strings.Contains(string(info), w) {
			t.Errorf("build info lacks %q", w)
		}
	}
	for _, stamp := range stamps {
		if !bytes.Contains(data, []byte(stamp)) {
			t.Errorf("the binary does not hold %q", stamp)
		}
	}
	return path
}
