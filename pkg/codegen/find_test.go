package codegen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindAPIPackages(t *testing.T) {
	apis := t.TempDir()
	files := map[string]string{
		"v1alpha1/doc.go":   "// +k8s:deepcopy-gen=package\npackage v1alpha1\n",
		"v1/doc.go":         "// Package v1 ...\n//\n// +k8s:openapi-gen=true\n//  +k8s:deepcopy-gen=package\n// +groupName=things.example.com\npackage v1\n",
		"v2beta1/doc.go":    "// +groupName=things.example.com\npackage v2beta1\n", // no deepcopy tag
		"v3/types.go":       "package v3\n",                                        // no doc.go
		"openapi/doc.go":    "// +k8s:deepcopy-gen=package\npackage openapi\n",     // not a version
		"internal/x/doc.go": "// +k8s:deepcopy-gen=package\npackage x\n",
	}
	for name, content := range files {
		path := filepath.Join(apis, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FindAPIPackages(apis)
	if err != nil {
		t.Fatal(err)
	}
	want := []APIPackage{
		{Dir: filepath.Join(apis, "v1"), Version: "v1", Group: "things.example.com"},
		{Dir: filepath.Join(apis, "v1alpha1"), Version: "v1alpha1"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FindAPIPackages (-want +got):\n%s", d)
	}

	none, err := FindAPIPackages(filepath.Join(apis, "missing"))
	if err != nil || len(none) != 0 {
		t.Errorf("FindAPIPackages of a missing folder = %v, %v; want none and no error", none, err)
	}
}

func TestFindAPIPackagesOfWardle(t *testing.T) {
	got, err := FindAPIPackages(filepath.Join("..", "..", "examples", "wardle", "apis"))
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, p := range got {
		versions = append(versions, p.Version+" "+p.Group)
	}
	want := []string{"v1beta1 wardle.example.com", "v1alpha1 wardle.example.com"}
	if d := cmp.Diff(want, versions); d != "" {
		t.Errorf("wardle's API packages (-want +got):\n%s", d)
	}
}
