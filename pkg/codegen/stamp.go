package codegen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A stamp remembers, per API folder, the fingerprint of the generators'
// inputs and of the files they wrote. When neither changed since, running
// the generators again (half a minute) would only rewrite the same bytes,
// so Generate skips them. It lives in the user's cache folder, not in the
// project: a fresh checkout always generates once.
type stamp struct {
	path string
}

func stampFor(apisDir string) (stamp, bool) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return stamp{}, false
	}
	key := sha256.Sum256([]byte(apisDir))
	return stamp{path: filepath.Join(cache, "aggkit", "codegen", hex.EncodeToString(key[:12]))}, true
}

// matches reports whether the stamp records exactly these fingerprints.
func (s stamp) matches(inputs, outputs string) bool {
	data, err := os.ReadFile(s.path)
	return err == nil && string(data) == inputs+" "+outputs+"\n"
}

func (s stamp) write(inputs, outputs string) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(s.path, []byte(inputs+" "+outputs+"\n"), 0o644)
}

// inputsFingerprint covers what the generators read that a project changes:
// the hand-written Go files of the API packages, the header, and go.mod
// (which pins the generators).
func inputsFingerprint(pkgs []APIPackage, header, goMod string) (string, error) {
	var files []string
	for _, p := range pkgs {
		entries, err := os.ReadDir(p.Dir)
		if err != nil {
			return "", err
		}
		for _, e := range entries {
			if name := e.Name(); !e.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, "zz_generated.") {
				files = append(files, filepath.Join(p.Dir, name))
			}
		}
	}
	sort.Strings(files)
	return fingerprint(append(files, header, goMod))
}

// fingerprint hashes the names and contents of files; a missing file counts
// as absent, so that deleting an output is a change.
func fingerprint(files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		switch {
		case os.IsNotExist(err):
			fmt.Fprintf(h, "%s absent\n", f)
		case err != nil:
			return "", err
		default:
			fmt.Fprintf(h, "%s %d\n", f, len(data))
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
