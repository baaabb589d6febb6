package footprint

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// mapping is one line of /proc/self/maps.
type mapping struct {
	start, end uintptr
	writable   bool
	path       string
}

// ReleaseFile drops the pages of every read-only mapping of path from the
// resident set and returns how many bytes of address space it advised.
func ReleaseFile(path string) (int64, error) {
	return release(path)
}

func release(path string) (int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, err
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	maps, err := readMaps()
	if err != nil {
		return 0, err
	}
	var released int64
	for _, m := range maps {
		if m.path != abs || m.writable {
			continue
		}
		if err := madvise(m, unix.MADV_DONTNEED); err != nil {
			return released, err
		}
		released += int64(m.end - m.start)
	}
	return released, nil
}

func madvise(m mapping, advice int) error {
	// The address comes from /proc/self/maps, not from a Go pointer, so the
	// raw system call is the honest way to pass it.
	if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, uintptr(advice)); errno != 0 {
		return fmt.Errorf("madvise %x-%x %s: %w", m.start, m.end, m.path, errno)
	}
	return nil
}

func readMaps() ([]mapping, error) {
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	var maps []mapping
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		// start-end perms offset dev inode path
		fields := strings.Fields(scanner.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
			continue
		}
		start, end, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		lo, err1 := strconv.ParseUint(start, 16, 64)
		hi, err2 := strconv.ParseUint(end, 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		maps = append(maps, mapping{
			start: uintptr(lo), end: uintptr(hi),
			writable: strings.Contains(fields[1], "w"),
			path:     strings.Join(fields[5:], " "),
		})
	}
	return maps, scanner.Err()
}

// Resident returns how many bytes of this process's read-only mappings of
// path are resident, from /proc/self/smaps.
func Resident(path string) (int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, err
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	var total int64
	inside := false
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		switch {
		case len(fields) >= 5 && strings.Count(fields[0], "-") == 1 && !strings.HasSuffix(fields[0], ":"):
			// A mapping's first line: start-end perms offset dev inode [path].
			inside = len(fields) >= 6 && strings.Join(fields[5:], " ") == abs && !strings.Contains(fields[1], "w")
		case inside && len(fields) >= 2 && fields[0] == "Rss:":
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("smaps: %q: %w", scanner.Text(), err)
			}
			total += kb << 10
		}
	}
	return total, scanner.Err()
}
