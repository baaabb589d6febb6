package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
)

// pushedFile, under a project's bin/, remembers the last push, so that
// `build config` can pin the Deployment to what was pushed.
const pushedFile = "image/pushed.json"

// Pushed is the last image pushed from a project.
type Pushed struct {
	// Image is the reference as given to the push, e.g. reg.example.com/wardle:v1.
	Image string `json:"image"`
	// Digest is the digest of what was pushed (an index or an image).
	Digest string `json:"digest"`
}

// Pinned is Image@Digest: Kubernetes pulls by the digest; the tag stays
// for the reader.
func (p Pushed) Pinned() string { return p.Image + "@" + p.Digest }

// RecordPush writes p to binDir, replacing the last one.
func RecordPush(binDir string, p Pushed) error {
	path := filepath.Join(binDir, pushedFile)
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// LastPush reads the last push recorded in binDir; ok is false if there
// was none.
func LastPush(binDir string) (p Pushed, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(binDir, pushedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, false, fmt.Errorf("%s: %w", filepath.Join(binDir, pushedFile), err)
	}
	return p, true, nil
}

// Pin returns the image a Deployment should run for image: the last push
// by digest when image is empty or names the same reference as that push
// (pinned says so), image itself otherwise.
func Pin(binDir, image string) (ref string, pinned bool, err error) {
	last, ok, err := LastPush(binDir)
	if err != nil || !ok {
		return image, false, err
	}
	if image == "" {
		return last.Pinned(), true, nil
	}
	given, err := name.ParseReference(image)
	if err != nil {
		return image, false, fmt.Errorf("image %q: %w", image, err)
	}
	pushed, err := name.ParseReference(last.Image)
	if err != nil {
		return image, false, err
	}
	if given.Name() != pushed.Name() {
		return image, false, nil
	}
	return last.Pinned(), true, nil
}
