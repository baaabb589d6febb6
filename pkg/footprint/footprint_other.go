//go:build !linux

package footprint

// ReleaseFile does nothing outside Linux.
func ReleaseFile(string) (int64, error) { return 0, nil }

// ReleaseExecutable does nothing outside Linux.
func ReleaseExecutable() (int64, error) { return 0, nil }
