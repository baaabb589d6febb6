package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := &Project{
		Domain: "example.com", Module: "example.com/insurance", Name: "insurance", Group: "insurance.example.com",
		Resources: []Resource{
			{Version: "v1beta1", Kind: "Policy", Namespaced: true, Status: true},
			{Version: "v1", Kind: "Policy", Namespaced: true, Status: true},
			{Version: "v1beta1", Kind: "Claim", Namespaced: false},
		},
	}
	if err := want.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Load after Save (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"v1", "v1beta1"}, got.Versions()); d != "" {
		t.Errorf("Versions (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Policy", "Claim"}, got.Kinds()); d != "" {
		t.Errorf("Kinds (-want +got):\n%s", d)
	}
	if hub := got.VersionsOf("Policy")[0].Version; hub != "v1beta1" {
		t.Errorf("first version of Policy = %s, want v1beta1", hub)
	}
	if !got.Has("Claim", "v1beta1") || got.Has("Claim", "v1") {
		t.Errorf("Has: wrong answers for Claim")
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		file    string // aggkit.yaml content; empty: no file
		want    *Project
		wantErr string
	}{
		{name: "no project file", want: &Project{Name: "myapi"}},
		{name: "name defaults to folder", file: "domain: example.com\n", want: &Project{Name: "myapi", Domain: "example.com"}},
		{name: "unknown field", file: "domian: example.com\n", wantErr: "unknown field"},
		{name: "bad yaml", file: "resources: [", wantErr: "aggkit.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "myapi")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Load(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Load (-want +got):\n%s", d)
			}
			if Exists(dir) != (tt.file != "") {
				t.Errorf("Exists = %v", Exists(dir))
			}
		})
	}
}
