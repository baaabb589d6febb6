package image

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Source describes the sources an image is built from; it goes into the
// binary's version and the image's labels and timestamps.
type Source struct {
	// URL is where the sources live: git's "origin" remote, else empty.
	URL string
	// Revision is the commit of HEAD, empty outside a git checkout.
	Revision string
	// Dirty says the checkout has uncommitted changes.
	Dirty bool
	// Version is `git describe --tags --always --dirty`, else "v0.0.0-dev".
	Version string
	// Date stamps every file, the config and the history: the source date,
	// so that an unchanged checkout builds the same image.
	Date time.Time
}

// sourceDateEpoch is the reproducible-builds.org variable that fixes the
// date of a build.
const sourceDateEpoch = "SOURCE_DATE_EPOCH"

// ReadSource reads what git knows about the checkout holding dir.
// SOURCE_DATE_EPOCH, when set, is the date; otherwise the commit time of
// HEAD, and outside git the Unix epoch.
func ReadSource(ctx context.Context, dir string) (Source, error) {
	s := Source{Version: "v0.0.0-dev", Date: time.Unix(0, 0).UTC()}
	git := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	if rev := git("rev-parse", "HEAD"); rev != "" {
		s.Revision = rev
		s.URL = withoutUserinfo(git("remote", "get-url", "origin"))
		s.Dirty = git("status", "--porcelain", "--untracked-files=no") != ""
		if v := git("describe", "--tags", "--always", "--dirty"); v != "" {
			s.Version = v
		}
		if sec, err := strconv.ParseInt(git("log", "-1", "--format=%ct"), 10, 64); err == nil {
			s.Date = time.Unix(sec, 0).UTC()
		}
	}
	if v, ok := os.LookupEnv(sourceDateEpoch); ok && v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s, fmt.Errorf("%s=%q: not a number of seconds: %w", sourceDateEpoch, v, err)
		}
		s.Date = time.Unix(sec, 0).UTC()
	}
	return s, nil
}

// ldflags stamp the source into k8s.io/component-base/version, which every
// server on k8s.io/apiserver links and reports. gitVersion is left alone:
// the server derives its Kubernetes compatibility version from it.
func (s Source) ldflags() string {
	const v = "k8s.io/component-base/version."
	state := "clean"
	if s.Dirty {
		state = "dirty"
	}
	flags := []string{"-X " + v + "buildDate=" + s.Date.Format(time.RFC3339), "-X " + v + "gitTreeState=" + state}
	if s.Revision != "" {
		flags = append(flags, "-X "+v+"gitCommit="+s.Revision)
	}
	return strings.Join(flags, " ")
}

// withoutUserinfo drops a user and password from a remote's URL: a token
// in a clone URL must not end up in a label anyone who pulls can read.
func withoutUserinfo(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil {
		return remote
	}
	u.User = nil
	return u.String()
}
