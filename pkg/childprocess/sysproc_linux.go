package childprocess

import "syscall"

// childAttr keeps the server out of the terminal's process group, so that
// Ctrl-C reaches only aggkit, which then stops the server itself (a second
// SIGINT would make a k8s.io/apiserver server exit at once with status 1),
// and has the kernel stop it should aggkit die without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
