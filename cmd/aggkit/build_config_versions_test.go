package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/aggkit/aggkit/pkg/deploy"
	"github.com/aggkit/aggkit/pkg/project"
)

// TestBuildConfigPrefersGA builds the config of a project that created
// v1beta1 before v1, applies its APIServices to a real control plane and
// reads the group's preferred version from discovery: v1, unless
// --versions says otherwise.
func TestBuildConfigPrefersGA(t *testing.T) {
	kubeconfig := startDeployTarget(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &project.Project{Name: "insurance", Domain: "example.com", Group: "insurance.example.com",
		Resources: []project.Resource{{Version: "v1alpha1", Kind: "Claim"}, {Version: "v1beta1", Kind: "Policy"}, {Version: "v1", Kind: "Policy"}}}
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		group, versions, wantPreferred string
		wantVersions                   int
	}{
		{group: "insurance.example.com", wantPreferred: "v1", wantVersions: 3},
		{group: "claims.example.com", versions: "v1alpha1,v1", wantPreferred: "v1alpha1", wantVersions: 2},
	} {
		t.Run(tc.group, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "config")
			args := []string{"--dir", dir, "--image", "img:1", "--group", tc.group, "--output", out}
			if tc.versions != "" {
				args = append(args, "--versions", tc.versions)
			}
			cmd := newBuildConfigCommand()
			var log bytes.Buffer
			cmd.SetOut(&log)
			cmd.SetErr(&log)
			cmd.SetArgs(args)
			if err := cmd.Execute(); err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := deploy.Apply(ctx, cfg, readObjects(t, filepath.Join(out, "apiservice.yaml")), &log); err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			// Legacy discovery (/apis/<group>) lists every APIService's
			// version, Available or not; aggregated discovery leaves out those
			// it never fetched, and these have no backend. The aggregator
			// publishes it a moment after the apply.
			client := discovery.NewDiscoveryClientForConfigOrDie(cfg).RESTClient()
			var group metav1.APIGroup
			for len(group.Versions) != tc.wantVersions {
				body, err := client.Get().AbsPath("/apis", tc.group).SetHeader("Accept", "application/json").DoRaw(ctx)
				if err != nil && !apierrors.IsNotFound(err) {
					t.Fatal(err)
				}
				if err == nil {
					if err := json.Unmarshal(body, &group); err != nil {
						t.Fatal(err)
					}
				}
				select {
				case <-ctx.Done():
					t.Fatalf("discovery of %s: %+v, want %d versions", tc.group, group, tc.wantVersions)
				case <-time.After(100 * time.Millisecond):
				}
			}
			if group.PreferredVersion.Version != tc.wantPreferred {
				t.Errorf("preferred version of %s: %s, want %s (versions %v)", group.Name, group.PreferredVersion.Version, tc.wantPreferred, group.Versions)
			}
		})
	}
}

// readObjects decodes a multi-document YAML manifest.
func readObjects(t *testing.T, path string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []runtime.Object
	for _, doc := range strings.Split(string(data), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs
}
