package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aggkit/aggkit/pkg/image"
	"github.com/aggkit/aggkit/pkg/project"
)

func TestBuildConfigCommand(t *testing.T) {
	dir := t.TempDir()
	p := &project.Project{Name: "insurance", Domain: "example.com", Group: "insurance.example.com",
		Resources: []project.Resource{{Version: "v1beta1", Kind: "Policy"}, {Version: "v1beta1", Kind: "Claim"}, {Version: "v1", Kind: "Policy"}}}
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		wantFiles []string
		wantText  []string // in apiservice.yaml / deployment.yaml
		wantErr   string
	}{
		{name: "from the project", args: []string{"--image", "img:1"},
			wantFiles: []string{"config/kustomization.yaml", "config/storage.yaml", "config/pki/ca.key"},
			wantText:  []string{"name: v1beta1.insurance.example.com", "name: v1.insurance.example.com", "namespace: insurance", "--data-dir="}},
		{name: "flags override", args: []string{"--image", "img:1", "--name", "policies", "--namespace", "ins",
			"--versions", "v1", "--etcd-servers", "http://etcd:2379", "--output", "deploy"},
			wantFiles: []string{"deploy/kustomization.yaml", "deploy/pdb.yaml"},
			wantText:  []string{"name: v1.insurance.example.com", "name: policies", "namespace: ins", "--etcd-servers=http://etcd:2379", "replicas: 2"}},
		{name: "no image", args: nil, wantErr: "image: required"},
		{name: "replicas on embedded storage", args: []string{"--image", "img:1", "--replicas", "3"}, wantErr: "3 replicas need --etcd-servers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			if err := os.CopyFS(work, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			cmd := newBuildConfigCommand()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(append([]string{"--dir", work}, tc.args...))
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "==> wrote ") {
				t.Errorf("output:\n%s", out.String())
			}
			var all string
			for _, f := range tc.wantFiles {
				if _, err := os.Stat(filepath.Join(work, f)); err != nil {
					t.Error(err)
				}
			}
			outDir := filepath.Dir(filepath.Join(work, tc.wantFiles[0]))
			for _, f := range []string{"apiservice.yaml", "deployment.yaml", "service.yaml"} {
				data, err := os.ReadFile(filepath.Join(outDir, f))
				if err != nil {
					t.Fatal(err)
				}
				all += string(data)
			}
			for _, want := range tc.wantText {
				if !strings.Contains(all, want) {
					t.Errorf("manifests lack %q", want)
				}
			}
		})
	}
}

func TestBuildConfigCommandWithoutGroup(t *testing.T) {
	cmd := newBuildConfigCommand()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"--dir", t.TempDir(), "--image", "img:1"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "pass --group and --versions") {
		t.Fatalf("error %v", err)
	}
}

// TestBuildConfigPinsLastPush: after `build image --push`, build config
// runs the pushed image by digest, whether --image is left out or names
// the same reference; another reference is taken as given.
func TestBuildConfigPinsLastPush(t *testing.T) {
	dir := t.TempDir()
	p := &project.Project{Name: "insurance", Domain: "example.com", Group: "insurance.example.com",
		Resources: []project.Resource{{Version: "v1", Kind: "Policy"}}}
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	pushed := image.Pushed{Image: "reg.example.com/insurance:v1", Digest: "sha256:" + strings.Repeat("0a", 32)}
	if err := image.RecordPush(filepath.Join(dir, "bin"), pushed); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{args: nil, want: pushed.Pinned()},
		{args: []string{"--image", "reg.example.com/insurance:v1"}, want: pushed.Pinned()},
		{args: []string{"--image", "reg.example.com/insurance:v2"}, want: "reg.example.com/insurance:v2"},
	} {
		cmd := newBuildConfigCommand()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"--dir", dir}, tc.args...))
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out.String())
		}
		data, err := os.ReadFile(filepath.Join(dir, "config", "deployment.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "image: "+tc.want+"\n") {
			t.Errorf("%v: deployment.yaml does not run %s:\n%s", tc.args, tc.want, data)
		}
		if pinned := strings.Contains(out.String(), "by digest"); pinned != (tc.want == pushed.Pinned()) {
			t.Errorf("%v: output says pinned=%v:\n%s", tc.args, pinned, out.String())
		}
	}
}
