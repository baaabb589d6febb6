package codegen

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStampFollowsInputsAndOutputs(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	pkg := APIPackage{Dir: filepath.Join(dir, "v1")}
	if err := os.Mkdir(pkg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(pkg.Dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("types.go", "package v1\n")
	write(deepCopyFile, "package v1 // generated\n")
	goMod := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(goMod, []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := []string{filepath.Join(pkg.Dir, deepCopyFile)}
	prints := func() (string, string) {
		t.Helper()
		in, err := inputsFingerprint([]APIPackage{pkg}, "", goMod)
		if err != nil {
			t.Fatal(err)
		}
		out, err := fingerprint(outputs)
		if err != nil {
			t.Fatal(err)
		}
		return in, out
	}
	st, ok := stampFor(dir)
	if !ok {
		t.Fatal("no cache folder for the stamp")
	}
	in, out := prints()
	if st.matches(in, out) {
		t.Fatal("a stamp never written matches")
	}
	if err := st.write(in, out); err != nil {
		t.Fatal(err)
	}
	if !st.matches(prints()) {
		t.Fatal("nothing changed, yet the stamp does not match")
	}

	changes := []struct {
		name   string
		change func()
	}{
		{"a type changes", func() { write("types.go", "package v1\n\ntype A struct{}\n") }},
		{"a file is added", func() { write("more.go", "package v1\n") }},
		{"a generated file is edited", func() { write(deepCopyFile, "package v1 // edited\n") }},
		{"a generated file is removed", func() { _ = os.Remove(outputs[0]) }},
		{"go.mod pins other generators", func() { _ = os.WriteFile(goMod, []byte("module example.com/x\n\ngo 1.26\n"), 0o644) }},
	}
	for _, c := range changes {
		c.change()
		if st.matches(prints()) {
			t.Errorf("%s: the stamp still matches", c.name)
		}
		if err := st.write(prints()); err != nil {
			t.Fatal(err)
		}
	}
	// What generators write is not an input: regenerating into the same
	// bytes must not invalidate it.
	write(deepCopyFile, "package v1 // generated again\n")
	in2, _ := prints()
	write(deepCopyFile, "package v1 // and again\n")
	if in3, _ := prints(); in2 != in3 {
		t.Error("a generated file counts as an input")
	}
}
