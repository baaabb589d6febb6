//go:build unix

package pki

import (
	"os"
	"path/filepath"
	"syscall"
)

// LockDir takes an exclusive lock on dir (creating it, mode 0700) until
// unlock is called, so that replicas sharing dir do not both create a CA
// there: the second waits, then loads the first's. The kernel releases the
// lock if the process dies.
func LockDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
