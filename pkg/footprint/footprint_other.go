//go:build !linux

package footprint

// ReleaseFile does nothing outside Linux.
func ReleaseFile(string) (int64, error) { return 0, nil }

// Resident reports 0 outside Linux.
func Resident(string) (int64, error) { return 0, nil }
