package codegen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aggkit/aggkit/pkg/kubeversion"
)

// APIPackage is one versioned API package of a project.
type APIPackage struct {
	// Dir is the package's folder.
	Dir string
	// Version is the folder's name, e.g. "v1beta1".
	Version string
	// Group is the +groupName of its doc.go; empty when it has none.
	Group string
}

// FindAPIPackages returns the API packages in apisDir: each sub-folder named
// like a Kubernetes version whose doc.go carries +k8s:deepcopy-gen=package,
// most preferred version first. A missing apisDir holds none.
func FindAPIPackages(apisDir string) ([]APIPackage, error) {
	entries, err := os.ReadDir(apisDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find API packages: %w", err)
	}
	var pkgs []APIPackage
	for _, e := range entries {
		if !e.IsDir() || !kubeversion.Valid(e.Name()) {
			continue
		}
		dir := filepath.Join(apisDir, e.Name())
		doc, err := os.ReadFile(filepath.Join(dir, "doc.go"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("find API packages: %w", err)
		}
		tags := commentTags(doc)
		if tags["+k8s:deepcopy-gen"] != "package" {
			continue
		}
		pkgs = append(pkgs, APIPackage{Dir: dir, Version: e.Name(), Group: tags["+groupName"]})
	}
	slices.SortStableFunc(pkgs, func(a, b APIPackage) int { return kubeversion.Compare(a.Version, b.Version) })
	return pkgs, nil
}

// commentTags collects the "// +name=value" lines of a Go file.
func commentTags(src []byte) map[string]string {
	tags := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		rest, ok := strings.CutPrefix(line, "//")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "+") {
			continue
		}
		name, value, _ := strings.Cut(rest, "=")
		tags[name] = value
	}
	return tags
}
