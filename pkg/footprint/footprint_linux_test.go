package footprint

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func residentKiB(t *testing.T, path string) int64 {
	t.Helper()
	n, err := Resident(path)
	if err != nil {
		t.Fatal(err)
	}
	return n >> 10
}

func mapFile(t *testing.T, path string, prot, flags int) []byte {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	mem, err := unix.Mmap(int(f.Fd()), 0, int(info.Size()), prot, flags)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Munmap(mem) })
	return mem
}

// TestReleaseFile: the pages of a read-only mapping leave the resident set
// and come back intact when read; a writable private mapping of the same
// file keeps its private changes.
func TestReleaseFile(t *testing.T) {
	const size = 4 << 20
	path := filepath.Join(t.TempDir(), "data")
	content := bytes.Repeat([]byte("aggkit!\n"), size/8)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := mapFile(t, path, unix.PROT_READ, unix.MAP_SHARED)
	private := mapFile(t, path, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	copy(private, "changed")
	if !bytes.Equal(readOnly, content) { // touches every page
		t.Fatal("the read-only mapping does not hold the file")
	}
	before := residentKiB(t, path)
	if before < size/1024 {
		t.Fatalf("%d KiB resident after reading %d KiB: the test cannot see a release", before, size/1024)
	}

	released, err := ReleaseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	after := residentKiB(t, path)
	t.Logf("resident: %d KiB before, %d KiB after releasing %d KiB of address space", before, after, released/1024)
	if released != size {
		t.Errorf("released %d bytes, want the read-only mapping's %d", released, size)
	}
	if after > 0 {
		t.Errorf("%d KiB still resident after the release", after)
	}
	if !bytes.Equal(readOnly, content) {
		t.Error("the read-only mapping reads differently after the release")
	}
	if string(private[:7]) != "changed" {
		t.Errorf("the writable mapping lost its change: %q", private[:7])
	}
}
