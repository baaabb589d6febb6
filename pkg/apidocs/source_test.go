package apidocs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWardleReference builds examples/wardle, runs it standalone, and checks
// the reference made from what it serves.
func TestWardleReference(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the wardle server")
	}
	var progress bytes.Buffer
	groups, err := FetchFromProject(context.Background(), FetchOptions{Dir: "../../examples/wardle", Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"==> building ", "==> starting the server", "==> fetching OpenAPI v3", "done ("} {
		if !strings.Contains(progress.String(), step) {
			t.Errorf("progress lacks %q:\n%s", step, progress.String())
		}
	}
	if len(groups) != 1 || groups[0].Group != "wardle.example.com" || groups[0].PreferredVersion != "v1beta1" {
		t.Fatalf("groups: want wardle.example.com preferring v1beta1, got %+v", groups)
	}
	pages, err := BuildPages(groups)
	if err != nil {
		t.Fatal(err)
	}
	page := pages[0]
	if len(page.Versions) != 2 || page.Versions[0].Version != "v1beta1" || page.Versions[1].Version != "v1alpha1" {
		t.Fatalf("versions: want v1beta1 (preferred) then v1alpha1, got %+v", page.Versions)
	}

	fischer := findKind(t, page, "v1alpha1", "Fischer")
	if fischer.Namespaced {
		t.Errorf("Fischer should be cluster-scoped")
	}
	if flunder := findKind(t, page, "v1alpha1", "Flunder"); !flunder.Namespaced || !strings.Contains(strings.Join(flunder.Subresources, ","), "status") {
		t.Errorf("Flunder v1alpha1 should be namespaced with status: %+v", flunder)
	}
	if rk := findKind(t, page, "v1alpha1", "ReferenceKind"); strings.Join(rk.Verbs, ",") != "get,list" {
		t.Errorf("computed ReferenceKind verbs = %v, want get,list", rk.Verbs)
	}

	files, err := Write(t.TempDir(), pages, []Format{FormatMarkdown, FormatHTML})
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		for _, f := range files {
			if filepath.Base(f) == name {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				return string(data)
			}
		}
		t.Fatalf("no %s in %v", name, files)
		return ""
	}
	md, htmlPage := read("wardle.example.com.md"), read("wardle.example.com.html")
	for _, want := range []string{
		"Versions: [v1beta1](#v1beta1) (preferred), [v1alpha1](#v1alpha1)",
		"| `spec.reference` | string |  | Reference is the name of the referred object. |",
		"| `spec.referenceType` | string |  | ReferenceType is the kind of the referred object: Flunder or Fischer. |",
		"| `spec.flunderReference` | string |  | FlunderReference is the name of a referred Flunder; set only with referenceType Flunder. |",
		"| `spec.fischerReference` | string |  |",
		"| `disallowedFlunders` | \\[\\]string |  | DisallowedFlunders are names no Flunder may have. |",
		"| Scope | Cluster |",
		"| GET | `/apis/wardle.example.com/v1beta1/namespaces/{namespace}/flunders/{name}` | get |",
		"| `namespaced` | boolean | yes |",
		"object-meta/#ObjectMeta",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("wardle.example.com.md lacks %q", want)
		}
	}
	if !strings.Contains(htmlPage, "<code>spec.reference</code></td><td>string</td><td></td><td><p>Reference is the name of the referred object.</p>") {
		t.Errorf("wardle.example.com.html lacks spec.reference with its description")
	}
	// Descriptions quote Go identifiers with an apostrophe: escaped in HTML.
	if !strings.Contains(htmlPage, "a Flunder&#39;s spec.referenceType") {
		t.Errorf("wardle.example.com.html lacks the escaped apostrophe of ReferenceKind's description")
	}
	checkHTML(t, []byte(htmlPage))
	checkHTML(t, []byte(read("index.html")))

	again, err := BuildPages(groups)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(RenderMarkdown(again[0])); got != md {
		t.Errorf("a second Markdown render differs")
	}
	if got, err := RenderHTML(again[0]); err != nil || string(got) != htmlPage {
		t.Errorf("a second HTML render differs (err %v)", err)
	}
}

// writeProject writes a one-file Go module to a temporary directory.
func writeProject(t *testing.T, mainGo string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/broken\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(mainGo), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFetchFromProjectFailures(t *testing.T) {
	tests := []struct {
		name   string
		mainGo string
		want   []string
	}{
		{
			name: "server exits at start",
			mainGo: `package main

import ("fmt"; "os")

func main() {
	for i := 0; i < 40; i++ { fmt.Fprintf(os.Stderr, "starting line %d\n", i) }
	fmt.Fprintln(os.Stderr, "error: listen tcp: address already in use")
	os.Exit(1)
}
`,
			want: []string{"stopped before it was ready", "exited with status 1", "address already in use", "starting line 39"},
		},
		{
			name:   "build fails",
			mainGo: "package main\n\nfunc main() { undefinedThing() }\n",
			want:   []string{"go build in", "undefined: undefinedThing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeProject(t, tt.mainGo)
			_, err := FetchFromProject(context.Background(), FetchOptions{Dir: dir})
			if err == nil {
				t.Fatal("FetchFromProject succeeded")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if strings.Contains(err.Error(), "starting line 0\n") {
				t.Errorf("error should keep only the last lines:\n%v", err)
			}
		})
	}
}
