package image

import (
	"archive/tar"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestBaseLayerIsReproducible(t *testing.T) {
	date := time.Unix(1700000000, 0).UTC()
	a, err := baseLayer(date)
	if err != nil {
		t.Fatal(err)
	}
	b, err := baseLayer(date)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Errorf("same date, digests %s and %s", da, db)
	}
	later, err := baseLayer(date.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if dl, _ := later.Digest(); dl == da {
		t.Errorf("another date, same digest %s: the date is not stamped", dl)
	}
	entries := layerHeaders(t, a)
	for _, dir := range []string{"etc/", "etc/ssl/", "etc/ssl/certs/", "home/"} {
		if entries[dir] == nil {
			t.Errorf("parent directory %s missing", dir)
		}
	}
}

// layerHeaders reads the tar headers of an uncompressed layer by name (the
// e2e tests check the entries' contents in the images they build).
func layerHeaders(t *testing.T, l v1.Layer) map[string]*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	headers := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers
		}
		if err != nil {
			t.Fatal(err)
		}
		headers[h.Name] = h
	}
}

func TestSourceDateEpoch(t *testing.T) {
	t.Setenv(sourceDateEpoch, "1700000000")
	s, err := ReadSource(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if s.Date.Unix() != 1700000000 || s.Revision != "" || s.Version != "v0.0.0-dev" {
		t.Errorf("outside git with %s set: %+v", sourceDateEpoch, s)
	}
	t.Setenv(sourceDateEpoch, "yesterday")
	if _, err := ReadSource(t.Context(), t.TempDir()); err == nil {
		t.Errorf("%s=yesterday accepted", sourceDateEpoch)
	}
}

func TestParsePlatforms(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "linux/amd64,linux/arm64", want: "linux/amd64 linux/arm64"},
		{in: " linux/arm/v7 , linux/arm/v7", want: "linux/arm/v7"},
		{in: "windows/amd64", err: "want linux/<arch>"},
		{in: "", err: "no platform"},
	} {
		got, err := ParsePlatforms(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if err != nil || strings.Join(s, " ") != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.in, s, err, tc.want)
		}
	}
}

// TestPin names repositories of more than one letter: go-containerregistry
// v0.21 refuses one-letter names.
func TestPin(t *testing.T) {
	dir := t.TempDir()
	if ref, pinned, err := Pin(dir, "reg.example.com/shop:1"); err != nil || pinned || ref != "reg.example.com/shop:1" {
		t.Errorf("no push recorded: %q %v %v", ref, pinned, err)
	}
	digest := "sha256:" + strings.Repeat("ab", 32)
	if err := RecordPush(dir, Pushed{Image: "reg.example.com/shop:1", Digest: digest}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		image, want string
		pinned      bool
	}{
		{image: "", want: "reg.example.com/shop:1@" + digest, pinned: true},
		{image: "reg.example.com/shop:1", want: "reg.example.com/shop:1@" + digest, pinned: true},
		{image: "reg.example.com/shop:2", want: "reg.example.com/shop:2"},
		{image: "other.example.com/shop:1", want: "other.example.com/shop:1"},
	} {
		ref, pinned, err := Pin(dir, tc.image)
		if err != nil || ref != tc.want || pinned != tc.pinned {
			t.Errorf("Pin(%q) = %q %v %v, want %q %v", tc.image, ref, pinned, err, tc.want, tc.pinned)
		}
	}
}

func TestSourceURLDropsCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:token@github.com/a/b.git": "https://github.com/a/b.git",
		"git@github.com:a/b.git":                "git@github.com:a/b.git",
		"https://github.com/a/b":                "https://github.com/a/b",
	} {
		if got := withoutUserinfo(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestTagOf(t *testing.T) {
	for in, want := range map[string]string{"v1.2.3-4-gabc-dirty": "v1.2.3-4-gabc-dirty", "f3d984b": "f3d984b",
		"a/b+c": "a-b-c", "-x": "v-x"} {
		if got := tagOf(in); got != want {
			t.Errorf("tagOf(%q) = %q, want %q", in, got, want)
		}
	}
}
