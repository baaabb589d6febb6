package e2e

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// The image tests share one build of the real server: compiling wardle with
// CGO off and -trimpath is minutes, even from a warm cache a link is a
// minute on a loaded machine. One build is pushed (pushedWardle) and one is
// repeated from a copy of the same sources to show the digest does not
// change (rebuiltWardle); the other tests copy the built project.
var images struct {
	mu   sync.Mutex
	root string // holds the shared projects; TestMain removes it

	registryOnce sync.Once
	registry     string

	pushOnce sync.Once
	pushed   pushedImage
	pushErr  error

	rebuildOnce sync.Once
	rebuilt     rebuiltImage
	rebuildErr  error
}

// pushedImage is wardle's project after `aggkit build image --push`.
type pushedImage struct {
	Project string // the project folder; tests copy it before changing it
	Repo    string // <registry>/wardle
	Output  string // what build image printed
	Pinned  string // Repo:v0.1.0@sha256:...
}

// rebuiltImage is a second `aggkit build image` (no push) in a fresh copy
// of the same sources, which links the server again from the build cache.
type rebuiltImage struct {
	Project string
	Output  string
	Digest  string // from "==> wrote OCI layout <dir> (<digest>)"
	Layout  string
	Tarball string
}

var (
	pushedLine = regexp.MustCompile(`(?m)^==> pushed (\S+@sha256:[0-9a-f]{64})$`)
	layoutLine = regexp.MustCompile(`(?m)^==> wrote OCI layout (\S+) \((sha256:[0-9a-f]{64})\)$`)
	tarLine    = regexp.MustCompile(`(?m)^==> wrote (\S+\.tar) `)
)

// imageRegistry is go-containerregistry's registry, served on loopback
// (plain HTTP, as registries on localhost are spoken to) for the whole
// test process.
func imageRegistry() string {
	images.registryOnce.Do(func() {
		srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
		images.registry = strings.TrimPrefix(srv.URL, "http://")
	})
	return images.registry
}

// imagesRoot is the folder of the shared projects, made on first use.
func imagesRoot(t *testing.T) string {
	t.Helper()
	images.mu.Lock()
	defer images.mu.Unlock()
	if images.root == "" {
		dir, err := os.MkdirTemp("", "aggkit-e2e-images-")
		if err != nil {
			t.Fatal(err)
		}
		images.root = dir
	}
	return images.root
}

// removeImagesRoot runs after every test of the package.
func removeImagesRoot() {
	if images.root != "" {
		_ = os.RemoveAll(images.root)
	}
}

// pushedWardle runs the README's first in-cluster command once per test
// process: `aggkit build image --push --image <registry>/wardle:v0.1.0` in
// a new wardle project.
func pushedWardle(t *testing.T) pushedImage {
	t.Helper()
	images.pushOnce.Do(func() {
		p := pushedImage{Project: filepath.Join(imagesRoot(t), "wardle"), Repo: imageRegistry() + "/wardle"}
		if images.pushErr = writeWardleProject(p.Project); images.pushErr != nil {
			return
		}
		p.Output, images.pushErr = runAggkit(p.Project, "build", "image", "--push", "--image", p.Repo+":v0.1.0")
		if images.pushErr != nil {
			return
		}
		m := pushedLine.FindStringSubmatch(p.Output)
		if m == nil {
			images.pushErr = fmt.Errorf("no pushed digest in the output of build image --push:\n%s", p.Output)
			return
		}
		p.Pinned = m[1]
		images.pushed = p
	})
	if images.pushErr != nil {
		t.Fatal(images.pushErr)
	}
	return images.pushed
}

// rebuiltWardle builds the pushed project's sources again, once per test
// process, in a copy that has the first build's bin/ files (untracked, as
// in a real checkout) but not its binary: the compiler's work comes from
// the cache, the link is done again.
func rebuiltWardle(t *testing.T) rebuiltImage {
	t.Helper()
	first := pushedWardle(t)
	images.rebuildOnce.Do(func() {
		r := rebuiltImage{Project: filepath.Join(imagesRoot(t), "wardle-again")}
		if images.rebuildErr = copyDir(first.Project, r.Project); images.rebuildErr != nil {
			return
		}
		if images.rebuildErr = os.RemoveAll(filepath.Join(r.Project, "bin", "image", "linux-amd64")); images.rebuildErr != nil {
			return
		}
		if r.Output, images.rebuildErr = runAggkit(r.Project, "build", "image"); images.rebuildErr != nil {
			return
		}
		m, tar := layoutLine.FindStringSubmatch(r.Output), tarLine.FindStringSubmatch(r.Output)
		if m == nil || tar == nil {
			images.rebuildErr = fmt.Errorf("no layout or tarball in the output of build image:\n%s", r.Output)
			return
		}
		r.Layout, r.Digest, r.Tarball = m[1], m[2], tar[1]
		images.rebuilt = r
	})
	if images.rebuildErr != nil {
		t.Fatal(images.rebuildErr)
	}
	return images.rebuilt
}

// copyProject copies the pushed project, built binary included, for a test
// that writes into it.
func copyProject(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "wardle")
	if err := copyDir(pushedWardle(t).Project, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyDir(src, dst string) error {
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("cp -a %s %s: %v\n%s", src, dst, err, out)
	}
	return nil
}

// runAggkit runs the built aggkit in dir and returns what it printed.
func runAggkit(dir string, args ...string) (string, error) {
	bins, err := framework.Build()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bins.Aggkit, args...)
	cmd.Dir = dir
	// Go's default, which this machine's go env may change: with it, go
	// stamps untracked files as a change into the binary unless aggkit
	// says -buildvcs=false, and rebuiltWardle's digest would differ.
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=auto")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("aggkit %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// writeWardleProject makes a project folder for examples/wardle outside
// this repository, committed to its own git repository (the image's
// revision, version and date come from it): an aggkit.yaml, and a main
// package in a module that a go.work joins to this checkout (offline: every
// dependency is in aggkit's go.sum).
func writeWardleProject(dir string) error {
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	files := map[string]string{
		"go.mod":  "module example.com/wardle\n\ngo 1.26.8\n",
		"go.work": fmt.Sprintf("go 1.26.8\n\nuse (\n\t.\n\t%s\n)\n", root),
		"main.go": "package main\n\nimport \"github.com/aggkit/aggkit/examples/wardle/server\"\n\nfunc main() { server.New().Execute() }\n",
		"aggkit.yaml": "name: wardle\ndomain: example.com\ngroup: wardle.example.com\nresources:\n" +
			"- {version: v1alpha1, kind: Flunder, namespaced: true}\n",
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"},
		{"-c", "user.name=aggkit e2e", "-c", "user.email=e2e@example.com", "-c", "commit.gpgsign=false",
			"commit", "-q", "-m", "wardle"},
		{"remote", "add", "origin", "https://example.com/aggkit/wardle.git"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}
