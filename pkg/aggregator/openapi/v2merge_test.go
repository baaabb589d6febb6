package openapi

import (
	"slices"
	"testing"
)

// TestOrderRemotes matches kube-aggregator's merge order: group priority,
// highest first, then APIService name.
func TestOrderRemotes(t *testing.T) {
	tests := []struct {
		name  string
		input []remoteV2
		want  []string
	}{
		{
			name:  "higher group priority first",
			input: []remoteV2{{name: "v1.low", groupPriority: 10}, {name: "v1.high", groupPriority: 1000}},
			want:  []string{"v1.high", "v1.low"},
		},
		{
			name:  "equal priority by name",
			input: []remoteV2{{name: "v1.b", groupPriority: 10}, {name: "v1.a", groupPriority: 10}},
			want:  []string{"v1.a", "v1.b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orderRemotes(tt.input)
			var got []string
			for _, r := range tt.input {
				got = append(got, r.name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMergeV2 checks that built-in paths win over a remote's and that a
// clashing definition is renamed rather than replacing the built-in one.
func TestMergeV2(t *testing.T) {
	builtin := []byte(`{"swagger":"2.0","paths":{"/apis/g/v1/things":{"get":{"description":"builtin","responses":{"200":{"description":"OK"}}}}},"definitions":{"T":{"type":"string"}}}`)
	remote := &document{etag: "x", body: []byte(`{"swagger":"2.0","paths":{` +
		`"/apis/g/v1/things":{"get":{"description":"remote","responses":{"200":{"description":"OK"}}}},` +
		`"/apis/g/v1/others":{"get":{"responses":{"200":{"description":"OK","schema":{"$ref":"#/definitions/T"}}}}}},` +
		`"definitions":{"T":{"type":"object"}}}`)}
	merged, err := mergeV2(builtin, []remoteV2{{name: "v1.g", group: "g", version: "v1", doc: remote}})
	if err != nil {
		t.Fatal(err)
	}
	if got := merged.Paths.Paths["/apis/g/v1/things"].Get.Description; got != "builtin" {
		t.Errorf("conflicting path served %q, want the built-in one", got)
	}
	if _, ok := merged.Paths.Paths["/apis/g/v1/others"]; !ok {
		t.Error("the remote's own path is missing")
	}
	if !merged.Definitions["T"].Type.Contains("string") {
		t.Errorf("built-in definition T replaced: %v", merged.Definitions["T"].Type)
	}
	if _, ok := merged.Definitions["T_v2"]; !ok {
		t.Errorf("clashing remote definition not renamed; definitions %v", len(merged.Definitions))
	}
}
