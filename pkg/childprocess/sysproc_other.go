//go:build !linux

package childprocess

import "syscall"

// childAttr keeps the server out of the terminal's process group, so that
// Ctrl-C reaches only aggkit, which then stops the server itself.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
