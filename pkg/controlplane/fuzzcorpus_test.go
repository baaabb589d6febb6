package controlplane

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
)

var writeFuzzCorpus = flag.Bool("write-fuzz-corpus", false, "rewrite the seed corpus of FuzzCreate and FuzzPatch under testdata/fuzz")

// TestWriteFuzzCorpus writes the checked-in seeds: every built-in kind's
// sample in each body format and as each patch type, plus bodies that once
// broke a server (kept as they are found: see the comments).
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeFuzzCorpus {
		t.Skip("run with -write-fuzz-corpus to rewrite testdata/fuzz")
	}
	_, codecs := newScheme()
	resources := builtinResources(t)
	create := filepath.Join("testdata", "fuzz", "FuzzCreate")
	patch := filepath.Join("testdata", "fuzz", "FuzzPatch")
	for _, dir := range []string{create, patch} {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	index := func(plural string) uint8 {
		for i, b := range resources {
			if b.gvr.Resource == plural {
				return uint8(i)
			}
		}
		t.Fatalf("no resource %s", plural)
		return 0
	}
	for i, b := range resources {
		for f, mediaType := range bodyFormats {
			writeSeed(t, create, uint8(i), uint8(f), encodeAs(t, codecs, mediaType, b))
		}
		writeSeed(t, create, uint8(i), fuzzDryRun, encodeAs(t, codecs, runtime.ContentTypeJSON, b))

		label := func(how string) string { return fmt.Sprintf(`{"metadata":{"labels":{"seed":%q}}}`, how) }
		writeSeed(t, patch, uint8(i), patchIndex(types.MergePatchType), []byte(label("merge")))
		writeSeed(t, patch, uint8(i), patchIndex(types.StrategicMergePatchType), []byte(label("strategic")))
		writeSeed(t, patch, uint8(i), patchIndex(types.JSONPatchType), []byte(`[{"op":"add","path":"/metadata/labels/seed","value":"json"}]`))
		writeSeed(t, patch, uint8(i), patchIndex(types.ApplyYAMLPatchType), encodeAs(t, codecs, runtime.ContentTypeYAML, b))
		// An unknown $patch directive was a 500 on every kind.
		writeSeed(t, patch, uint8(i), patchIndex(types.StrategicMergePatchType), []byte(`{"$patch":"bogus"}`))
		writeSeed(t, patch, uint8(i), patchIndex(types.StrategicMergePatchType)|fuzzDryRun, []byte(`{"metadata":{"labels":{"$patch":"bogus"}}}`))
	}

	cm := index("configmaps")
	for _, body := range []string{
		``, `null`, `[]`, `{}`, `"x"`, `{"apiVersion":"v1"}`,
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"wrong-kind"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other-ns","namespace":"default"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"UPPER"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"mf","managedFields":[{"manager":"m","operation":"Bogus","fieldsType":"FieldsV1","fieldsV1":{}}]}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup2"},"data":{"a":"1","a":"2"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"num"},"data":{"a":1e400}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"utf8"},"data":{"a":"` + "\xff\xfe" + `"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":` + strings.Repeat(`{"a":`, 2000) + `1` + strings.Repeat(`}`, 2000) + `}`,
	} {
		writeSeed(t, create, cm, 0, []byte(body))
	}
	writeSeed(t, create, cm, 1, []byte("a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c]\n"))
	writeSeed(t, create, cm, 1, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yaml-tab}\n\tdata: x\n"))
	proto := encodeAs(t, codecs, runtime.ContentTypeProtobuf, resources[cm])
	writeSeed(t, create, cm, 2, proto[:len(proto)/2])
	writeSeed(t, create, cm, 2, []byte("k8s\x00garbage"))
	writeSeed(t, create, index("secrets"), 2, proto)

	svc := index("services")
	strategic := patchIndex(types.StrategicMergePatchType)
	for _, body := range []string{
		`{"spec":{"ports":[{"$patch":"bogus","port":443}]}}`,
		`{"spec":{"ports":[1]}}`,
		`{"spec":{"ports":[{"name":"no-port"}]}}`,
		`{"spec":{"$retainKeys":["ports"],"type":"ClusterIP"}}`,
		`{"spec":{"$retainKeys":"ports"}}`,
		`{"spec":{"$setElementOrder/ports":[{"port":9}]}}`,
		`{"spec":{"$setElementOrder/ports":"x"}}`,
		`{"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}}`,
		`{"metadata":{"$deleteFromPrimitiveList/finalizers":"x"}}`,
		`{"metadata":{"finalizers":[{"$patch":"delete"}]}}`,
		`{"spec":{"ports":[{"$patch":"replace"}]}}`,
		`{"spec":{"ports":{"$patch":"delete"}}}`,
		`{"metadata":{"$patch":"replace"}}`,
		`{"metadata":{"$patch":"delete"}}`,
		`{"spec":{"ports":[[1]]}}`,
	} {
		writeSeed(t, patch, svc, strategic, []byte(body))
	}
	for _, body := range []string{`null`, `{"metadata":null}`, `{"metadata":{"name":"other"}}`, `{"spec":{"ports":"x"}}`, `[]`} {
		writeSeed(t, patch, svc, patchIndex(types.MergePatchType), []byte(body))
	}
	for _, body := range []string{
		`[{"op":"move","from":"/x","path":"/y"}]`, `[{"op":"test","path":"/metadata/name","value":"other"}]`,
		`[{"op":"bogus"}]`, `{}`, `[{"op":"remove","path":"/metadata"}]`, `[{"op":"replace","path":"/spec/ports/9","value":{}}]`,
	} {
		writeSeed(t, patch, svc, patchIndex(types.JSONPatchType), []byte(body))
	}
	for _, body := range []string{``, `{}`, `apiVersion: v1`, "apiVersion: v1\nkind: Secret\nmetadata: {name: sample}\n", "apiVersion: v1\nkind: Service\nmetadata: {name: other}\n"} {
		writeSeed(t, patch, svc, patchIndex(types.ApplyYAMLPatchType), []byte(body))
	}
}

func patchIndex(pt types.PatchType) uint8 {
	for i, p := range patchFormats {
		if p == pt {
			return uint8(i)
		}
	}
	panic(pt)
}

func encodeAs(t *testing.T, codecs serializer.CodecFactory, mediaType string, b builtin) []byte {
	t.Helper()
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mediaType)
	if !ok {
		t.Fatalf("no serializer for %s", mediaType)
	}
	out, err := runtime.Encode(codecs.EncoderForVersion(info.Serializer, b.gvr.GroupVersion()), b.sample)
	if err != nil {
		t.Fatalf("encode %s as %s: %v", b.gvr.Resource, mediaType, err)
	}
	return out
}

// writeSeed writes one input in the format of Go's fuzzing corpus files.
func writeSeed(t *testing.T, dir string, resource, format uint8, body []byte) {
	t.Helper()
	content := fmt.Sprintf("go test fuzz v1\nbyte(%q)\nbyte(%q)\n[]byte(%q)\n", resource, format, body)
	name := fmt.Sprintf("%x", sha256.Sum256([]byte(content)))[:16]
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
