package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// compile builds the main package in dir for platform into out: static
// (CGO off), -trimpath so that no path of this machine ends up in the
// binary, and the source stamped through ldflags. -buildvcs=false because
// go's own stamp counts untracked files (bin/, an editor's backup) as
// changes, so two builds of one commit would differ.
func compile(ctx context.Context, dir, out string, platform v1.Platform, src Source) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", src.ldflags(), "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+platform.OS, "GOARCH="+platform.Architecture)
	if platform.Architecture == "arm" && platform.Variant != "" {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(platform.Variant, "v"))
	}
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s in %s: %w\n%s", platform.String(), dir, err, strings.TrimSpace(output.String()))
	}
	return nil
}

// ParsePlatforms reads a comma-separated list such as
// "linux/amd64,linux/arm64". Only linux is accepted: the base layer is a
// Linux file system.
func ParsePlatforms(list string) ([]v1.Platform, error) {
	var platforms []v1.Platform
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := v1.ParsePlatform(s)
		if err != nil {
			return nil, fmt.Errorf("platform %q: %w", s, err)
		}
		if p.OS != "linux" || p.Architecture == "" {
			return nil, fmt.Errorf("platform %q: want linux/<arch>, e.g. linux/amd64", s)
		}
		if !seen[p.String()] {
			seen[p.String()] = true
			platforms = append(platforms, *p)
		}
	}
	if len(platforms) == 0 {
		return nil, fmt.Errorf("no platform in %q", list)
	}
	return platforms, nil
}

// binaryPath is where a platform's binary is kept under the project's bin/.
func binaryPath(binDir, name string, p v1.Platform) string {
	return filepath.Join(binDir, "image", strings.ReplaceAll(p.String(), "/", "-"), name)
}
