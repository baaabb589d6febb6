//go:build !unix

package pki

import "os"

// LockDir creates dir; on this platform it does not lock, so replicas
// sharing dir must not start for the first time at the same moment.
func LockDir(dir string) (unlock func(), err error) {
	return func() {}, os.MkdirAll(dir, 0o700)
}
