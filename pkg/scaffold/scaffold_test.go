package scaffold

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aggkit/aggkit/pkg/project"
)

// aggkitSource is this repository, the source test projects build against.
func aggkitSource(t *testing.T) string {
	t.Helper()
	dir, err := checkAggkitSource(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func initProject(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "insurance")
	if err := InitRepo(context.Background(), InitOptions{Dir: dir, Domain: "example.com", AggkitSource: aggkitSource(t)}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// create runs CreateResource without the generators, which the slow test
// covers.
func create(dir, group, version, kind string, namespaced, status *bool) error {
	return CreateResource(context.Background(), ResourceOptions{
		Dir: dir, Group: group, Version: version, Kind: kind, Namespaced: namespaced, Status: status, SkipGenerate: true,
	})
}

// readTree reads every file under dir, by relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestDefaultAggkitSource(t *testing.T) {
	got, err := DefaultAggkitSource()
	if err != nil {
		t.Fatal(err)
	}
	if want := aggkitSource(t); got != want {
		t.Errorf("DefaultAggkitSource = %s, want %s", got, want)
	}
}

func TestInitRepo(t *testing.T) {
	dir := initProject(t)
	files := readTree(t, dir)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	want := []string{".gitignore", "Makefile", "README.md", "aggkit.yaml", "go.mod", "go.sum", "main.go", "server.go", "server_test.go", "zz_generated.resources.go"}
	if d := cmp.Diff(want, names, cmpSorted); d != "" {
		t.Errorf("files of a new project (-want +got):\n%s", d)
	}
	for _, s := range []string{
		"module example.com/insurance\n",
		"replace github.com/aggkit/aggkit => " + aggkitSource(t) + "\n",
		"\tk8s.io/code-generator/cmd/deepcopy-gen\n",
		"\tk8s.io/kube-openapi/cmd/openapi-gen\n",
		"\tgithub.com/aggkit/aggkit/cmd/aggkit\n",
		"\tk8s.io/apiserver v",
	} {
		if !strings.Contains(files["go.mod"], s) {
			t.Errorf("go.mod lacks %q:\n%s", s, files["go.mod"])
		}
	}
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&project.Project{Domain: "example.com", Module: "example.com/insurance", Name: "insurance"}, p); d != "" {
		t.Errorf("aggkit.yaml (-want +got):\n%s", d)
	}
	if !strings.Contains(files["main.go"], "newServer().Execute()") || !strings.Contains(files[".gitignore"], "bin/") || !strings.Contains(files[".gitignore"], ".aggkit/") {
		t.Errorf("main.go or .gitignore is not what a project needs")
	}
}

func TestInitRepoRefuses(t *testing.T) {
	source := aggkitSource(t)
	tests := []struct {
		name    string
		present string // a file already in the folder
		opts    InitOptions
		wantErr string
	}{
		{name: "go.mod", present: "go.mod", opts: InitOptions{Domain: "example.com"}, wantErr: "already has go.mod"},
		{name: "aggkit.yaml", present: "aggkit.yaml", opts: InitOptions{Domain: "example.com"}, wantErr: "already has aggkit.yaml"},
		{name: "main.go", present: "main.go", opts: InitOptions{Domain: "example.com"}, wantErr: "does not overwrite"},
		{name: "no domain", wantErr: "--domain is required"},
		{name: "bad name", opts: InitOptions{Domain: "example.com", Name: "My_API"}, wantErr: "project name"},
		{name: "bad module", opts: InitOptions{Domain: "example.com", Module: "a b"}, wantErr: "module path"},
		{name: "not aggkit", opts: InitOptions{Domain: "example.com", AggkitSource: filepath.Join(source, "examples")}, wantErr: "aggkit source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.present != "" {
				if err := os.WriteFile(filepath.Join(dir, tt.present), []byte("mine\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tt.opts.Dir = dir
			if tt.opts.AggkitSource == "" {
				tt.opts.AggkitSource = source
			}
			err := InitRepo(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("InitRepo error = %v, want one containing %q", err, tt.wantErr)
			}
			files := readTree(t, dir)
			if tt.present == "" && len(files) > 0 || tt.present != "" && len(files) != 1 {
				t.Errorf("a refused init wrote files: %v", files)
			}
		})
	}
}

func TestCreateResourceTwiceChangesNothing(t *testing.T) {
	dir := initProject(t)
	yes := true
	if err := create(dir, "insurance", "v1beta1", "Policy", nil, &yes); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)
	var out bytes.Buffer
	err := CreateResource(context.Background(), ResourceOptions{Dir: dir, Group: "insurance", Version: "v1beta1", Kind: "Policy", SkipGenerate: true, Out: &out})
	if err != nil {
		t.Fatalf("second create: %v", err)
	}
	if !strings.Contains(out.String(), "already exists") {
		t.Errorf("second create said %q, want that the resource already exists", out.String())
	}
	if d := cmp.Diff(before, readTree(t, dir)); d != "" {
		t.Errorf("second create changed files (-before +after):\n%s", d)
	}
}

func TestCreateResourceRefuses(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name                 string
		group, version, kind string
		namespaced, status   *bool
		wantErr              string
	}{
		{name: "another group", group: "claims", version: "v1", kind: "Claim", wantErr: "serves the group insurance.example.com, not claims.example.com"},
		{name: "another scope", group: "insurance", version: "v1", kind: "Policy", namespaced: &no, wantErr: "same scope"},
		{name: "another status", group: "insurance", version: "v1", kind: "Policy", status: &no, wantErr: "same fields"},
		{name: "bad version", group: "insurance", version: "v1beta", kind: "Policy", wantErr: "Kubernetes API version"},
		{name: "bad kind", group: "insurance", version: "v1", kind: "policy", wantErr: "CamelCase"},
		{name: "bad group", group: "Insurance", version: "v1", kind: "Policy", wantErr: "DNS label"},
	}
	dir := initProject(t)
	if err := create(dir, "insurance", "v1beta1", "Policy", &yes, &yes); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := create(dir, tt.group, tt.version, tt.kind, tt.namespaced, tt.status)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CreateResource error = %v, want one containing %q", err, tt.wantErr)
			}
			if d := cmp.Diff(before, readTree(t, dir)); d != "" {
				t.Errorf("a refused create changed files (-before +after):\n%s", d)
			}
		})
	}

	t.Run("no project", func(t *testing.T) {
		err := create(t.TempDir(), "insurance", "v1", "Policy", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "aggkit init repo") {
			t.Fatalf("CreateResource outside a project: %v, want advice to run aggkit init repo", err)
		}
	})
}

func TestCreateResourceFiles(t *testing.T) {
	dir := initProject(t)
	yes, no := true, false
	steps := []struct {
		group, version, kind string
		namespaced, status   *bool
	}{
		{"insurance", "v1beta1", "Policy", nil, &yes},
		{"insurance.example.com", "v1beta1", "Insurer", &no, nil}, // the full group name works too
		{"insurance", "v1", "Policy", nil, nil},                   // a second version: conversion through v1beta1
	}
	for _, s := range steps {
		if err := create(dir, s.group, s.version, s.kind, s.namespaced, s.status); err != nil {
			t.Fatal(err)
		}
	}
	files := readTree(t, dir)
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []project.Resource{
		{Version: "v1beta1", Kind: "Policy", Namespaced: true, Status: true},
		{Version: "v1beta1", Kind: "Insurer", Namespaced: false},
		{Version: "v1", Kind: "Policy", Namespaced: true, Status: true},
	}
	if d := cmp.Diff(want, p.Resources); d != "" || p.Group != "insurance.example.com" {
		t.Errorf("aggkit.yaml group %s, resources (-want +got):\n%s", p.Group, d)
	}
	checks := []struct{ file, want string }{
		{"apis/v1beta1/doc.go", "+groupName=insurance.example.com\n"},
		{"apis/v1beta1/doc.go", "+k8s:openapi-model-package=com.example.insurance.v1beta1\n"},
		{"apis/v1/doc.go", "+k8s:deepcopy-gen=package\n"},
		{"apis/v1beta1/policy_hub.go", "func (*Policy) Hub() {}"},
		{"apis/v1beta1/policy_hub.go", "CopyStatusTo(dst runtime.Object)"},
		{"apis/v1beta1/policy_types.go", "Status PolicyStatus `json:\"status,omitempty\"`"},
		{"apis/v1/policy_types.go", "Status PolicyStatus `json:\"status,omitempty\"`"},
		{"apis/v1/policy_conversion.go", "dst.Spec.Priority = p.Spec.Priority"},
		{"apis/v1/policy_conversion.go", "p.Status.Phase = src.Status.Phase"},
		{"apis/v1beta1/insurer_types.go", "func (*Insurer) ClusterScoped() bool { return true }"},
		{"zz_generated.resources.go", "const group = \"insurance.example.com\""},
		{"zz_generated.resources.go", "WithResource(&v1beta1.Policy{}).\n\t\tWithResource(&v1.Policy{}).\n\t\tWithResource(&v1beta1.Insurer{}).\n\t\tWithOpenAPIDefinitions(openapi.GetOpenAPIDefinitions)"},
		{"server_test.go", `{kind: "Policy", resource: "policies", versions: []string{"v1beta1", "v1"}, namespaced: true, status: true}`},
		{"server_test.go", `{kind: "Insurer", resource: "insurers", versions: []string{"v1beta1"}, namespaced: false, status: false}`},
	}
	for _, c := range checks {
		if !strings.Contains(files[c.file], c.want) {
			t.Errorf("%s lacks %q:\n%s", c.file, c.want, files[c.file])
		}
	}
	for _, absent := range []struct{ file, text string }{
		{"apis/v1beta1/insurer_types.go", "Status"},
		{"apis/v1beta1/policy_types.go", "ClusterScoped"},
		{"apis/v1/policy_types.go", "Hub()"},
	} {
		if strings.Contains(files[absent.file], absent.text) {
			t.Errorf("%s has %q, which it should not", absent.file, absent.text)
		}
	}
}

func TestCreateResourceKeepsAnEditedServerTest(t *testing.T) {
	dir := initProject(t)
	if err := create(dir, "insurance", "v1beta1", "Policy", nil, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, serverTestFile)
	edited := []byte("package main\n\n// mine now\n")
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := CreateResource(context.Background(), ResourceOptions{Dir: dir, Group: "insurance", Version: "v1beta1", Kind: "Claim", SkipGenerate: true, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, edited) {
		t.Errorf("create rewrote an edited server_test.go:\n%s", got)
	}
	if !strings.Contains(out.String(), "kept    server_test.go") {
		t.Errorf("create did not say it kept server_test.go: %s", out.String())
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	slices.Sort(out)
	return out
})
