package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// Request bodies of every built-in kind, fuzzed against one real control
// plane per target: never a panic or a 5xx, every refusal a metav1.Status,
// and nothing stored on a 4xx or a dry run. The seed corpus is in
// testdata/fuzz (written by TestWriteFuzzCorpus); `go test` runs it, and
// `go test -fuzz FuzzCreate -run '^$'` searches further.

// bodyFormats are the media types a create body is sent as.
var bodyFormats = []string{runtime.ContentTypeJSON, runtime.ContentTypeYAML, runtime.ContentTypeProtobuf}

// patchFormats are the patch types.
var patchFormats = []types.PatchType{types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType, types.ApplyYAMLPatchType}

// fuzzDryRun is the bit of a format byte that asks for a dry run.
const fuzzDryRun = 4

type fuzzTarget struct {
	*testServer
	http      *http.Client
	metadata  metadata.Interface
	resources []builtin
}

func startFuzzTarget(f *testing.F) *fuzzTarget {
	ts := startServer(f, nil)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fuzzNamespace}}
	if _, err := ts.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		f.Fatal(err)
	}
	// The service-account controller adds "default" to a new namespace;
	// wait for it, so that no write but the fuzzer's lands there later.
	for {
		if _, err := ts.client.CoreV1().ServiceAccounts(fuzzNamespace).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	client, err := rest.HTTPClientFor(ts.admin)
	if err != nil {
		f.Fatal(err)
	}
	md, err := metadata.NewForConfig(ts.admin)
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzTarget{testServer: ts, http: client, metadata: md, resources: builtinResources(f)}
}

func (ft *fuzzTarget) resource(index uint8) builtin {
	return ft.resources[int(index)%len(ft.resources)]
}

func (ft *fuzzTarget) url(b builtin, name string, dryRun bool, query ...string) string {
	u := ft.admin.Host + "/apis/" + b.gvr.GroupVersion().String()
	if b.gvr.Group == "" {
		u = ft.admin.Host + "/api/" + b.gvr.Version
	}
	if b.namespaced {
		u += "/namespaces/" + fuzzNamespace
	}
	u += "/" + b.gvr.Resource
	if name != "" {
		u += "/" + name
	}
	if dryRun {
		query = append(query, "dryRun=All")
	}
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	return u
}

// do sends body and checks the answer: below 500, and a Status when it is
// an error. It returns the status code and the body.
func (ft *fuzzTarget) do(t *testing.T, method, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", runtime.ContentTypeJSON)
	resp, err := ft.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s (%s) answered %d: %s\nbody: %q", method, url, contentType, resp.StatusCode, answer, body)
	}
	if resp.StatusCode >= 400 {
		var status metav1.Status
		if err := json.Unmarshal(answer, &status); err != nil || status.Kind != "Status" || int(status.Code) != resp.StatusCode {
			t.Fatalf("%s %s answered %d with no matching Status: %s", method, url, resp.StatusCode, answer)
		}
	}
	return resp.StatusCode, answer
}

// stored is every object of b the fuzzer could have touched, by name, with
// its resourceVersion.
func (ft *fuzzTarget) stored(t *testing.T, b builtin) map[string]string {
	t.Helper()
	ns := ""
	if b.namespaced {
		ns = fuzzNamespace
	}
	list, err := ft.metadata.Resource(b.gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, item := range list.Items {
		out[item.Name] = item.ResourceVersion
	}
	return out
}

// unchanged fails unless after holds no object that before lacks and, for
// namespaced resources (whose namespace nothing else writes), no object
// that changed. Cluster-scoped objects have writers of their own (namespace
// deletion, role aggregation), so there only new names count.
func unchanged(t *testing.T, b builtin, before, after map[string]string, body []byte) {
	t.Helper()
	for name, rv := range after {
		old, existed := before[name]
		if !existed {
			t.Fatalf("%s %q stored by a refused or dry-run write; body: %q", b.gvr.Resource, name, body)
		}
		if b.namespaced && old != rv {
			t.Fatalf("%s %q changed (resourceVersion %s -> %s) by a refused or dry-run write; body: %q", b.gvr.Resource, name, old, rv, body)
		}
	}
}

func FuzzCreate(f *testing.F) {
	ft := startFuzzTarget(f)
	f.Fuzz(func(t *testing.T, resource, format uint8, body []byte) {
		b := ft.resource(resource)
		dryRun := format&fuzzDryRun != 0
		contentType := bodyFormats[int(format&^fuzzDryRun)%len(bodyFormats)]
		before := ft.stored(t, b)
		code, answer := ft.do(t, http.MethodPost, ft.url(b, "", dryRun), contentType, body)
		if code >= 300 || dryRun {
			unchanged(t, b, before, ft.stored(t, b), body)
			return
		}
		var created metav1.PartialObjectMetadata
		if err := json.Unmarshal(answer, &created); err != nil || created.Name == "" {
			t.Fatalf("create answered %d with no object: %s", code, answer)
		}
		// Keep the store as the seeds expect it.
		ft.do(t, http.MethodDelete, ft.url(b, created.Name, false), runtime.ContentTypeJSON, nil)
	})
}

func FuzzPatch(f *testing.F) {
	ft := startFuzzTarget(f)
	ctx := context.Background()
	_, codecs := newScheme()
	for _, b := range ft.resources {
		body, err := runtime.Encode(codecs.LegacyCodec(b.gvr.GroupVersion()), b.sample)
		if err != nil {
			f.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ft.url(b, "", false), bytes.NewReader(body))
		req.Header.Set("Content-Type", runtime.ContentTypeJSON)
		resp, err := ft.http.Do(req)
		if err != nil {
			f.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			f.Fatalf("the %s sample is not valid: %d %s", b.gvr.Resource, resp.StatusCode, answer)
		}
	}
	f.Fuzz(func(t *testing.T, resource, format uint8, body []byte) {
		b := ft.resource(resource)
		dryRun := format&fuzzDryRun != 0
		patchType := patchFormats[int(format&^fuzzDryRun)%len(patchFormats)]
		name := sampleName(b)
		before := ft.stored(t, b)
		var query []string
		if patchType == types.ApplyYAMLPatchType {
			query = append(query, "fieldManager=fuzz", "force=true")
		}
		code, _ := ft.do(t, http.MethodPatch, ft.url(b, name, dryRun, query...), string(patchType), body)
		if code >= 300 || dryRun {
			after := ft.stored(t, b)
			unchanged(t, b, before, after, body)
			if before[name] != after[name] {
				t.Fatalf("%s %s changed (resourceVersion %s -> %s) by a refused or dry-run patch: %q", b.gvr.Resource, name, before[name], after[name], body)
			}
		}
	})
}

func sampleName(b builtin) string { return b.sample.(metav1.Object).GetName() }
