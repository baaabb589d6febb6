package controlplane

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const apiserverModule = "k8s.io/apiserver"

// TestProxyChainTracksUpstreamFilters: handlerchain.go rebuilds
// k8s.io/apiserver's default chain by hand, so an upgrade that adds,
// removes or reorders a filter there must not pass unnoticed. The test
// reads DefaultBuildHandlerChain from the pinned module's source, lists
// the package functions it calls, and compares them, in order, with
// testdata/proxychain-filters.txt, which says for each whether aggkit
// keeps it and why not; each verdict is checked against the calls in
// handlerchain.go.
func TestProxyChainTracksUpstreamFilters(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-json", apiserverModule).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", apiserverModule, err)
	}
	var module struct{ Dir, Version string }
	if err := json.Unmarshal(out, &module); err != nil || module.Dir == "" {
		t.Fatalf("go list -m -json %s: no module directory (%v): %s", apiserverModule, err, out)
	}
	upstream := calledFunctions(t, filepath.Join(module.Dir, "pkg", "server", "config.go"), "DefaultBuildHandlerChain")
	ours := calledFunctions(t, "handlerchain.go", "")

	listed, verdicts := readFilterList(t, filepath.Join("testdata", "proxychain-filters.txt"))
	if !slices.Equal(upstream, listed) {
		t.Errorf("DefaultBuildHandlerChain of %s@%s calls, in order:\n\t%s\nbut testdata/proxychain-filters.txt lists:\n\t%s\n"+
			"Upstream's chain changed: decide for each new or moved filter whether proxyChain in handlerchain.go needs it, then update the list.",
			apiserverModule, module.Version, strings.Join(upstream, "\n\t"), strings.Join(listed, "\n\t"))
	}
	for _, name := range listed {
		kept := slices.Contains(ours, name)
		switch verdict := verdicts[name]; {
		case verdict == "kept" && !kept:
			t.Errorf("%s is listed as kept, but handlerchain.go does not call it", name)
		case verdict != "kept" && kept:
			t.Errorf("%s is listed as %q, but handlerchain.go calls it", name, verdict)
		}
	}
}

// calledFunctions lists, once each and in order of appearance, the
// package-level functions of k8s.io/apiserver that fn (every function
// when fn is "") in file calls, as "<path in the module>.<name>".
func calledFunctions(t *testing.T, file, fn string) []string {
	t.Helper()
	parsed, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]string{}
	for _, spec := range parsed.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		name := filepath.Base(path)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		imports[name] = path
	}
	var called []string
	found := false
	for _, decl := range parsed.Decls {
		f, ok := decl.(*ast.FuncDecl)
		if !ok || (fn != "" && f.Name.Name != fn) || f.Body == nil {
			continue
		}
		found = true
		ast.Inspect(f.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			path, ok := strings.CutPrefix(imports[pkg.Name], apiserverModule+"/pkg/")
			if !ok {
				return true
			}
			if name := path + "." + sel.Sel.Name; !slices.Contains(called, name) {
				called = append(called, name)
			}
			return true
		})
	}
	if !found {
		t.Fatalf("%s: no function %s", file, fn)
	}
	return called
}

// readFilterList reads "<function> kept" and "<function> omitted: why"
// lines, skipping comments.
func readFilterList(t *testing.T, file string) (names []string, verdicts map[string]string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	verdicts = map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, verdict, _ := strings.Cut(line, " ")
		switch {
		case verdict == "kept":
		case strings.HasPrefix(verdict, "omitted: ") && len(verdict) > len("omitted: "):
			verdict = "omitted"
		default:
			t.Fatalf("%s:%d: want \"<function> kept\" or \"<function> omitted: <why>\", got %q", file, i+1, line)
		}
		if _, dup := verdicts[name]; dup {
			t.Fatalf("%s:%d: %s listed twice", file, i+1, name)
		}
		names, verdicts[name] = append(names, name), verdict
	}
	if len(names) == 0 {
		t.Fatalf("%s lists nothing", file)
	}
	return names, verdicts
}
