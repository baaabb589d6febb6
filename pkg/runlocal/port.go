package runlocal

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// DefaultPort is where the control plane listens unless told otherwise,
// kube-apiserver's secure port.
const DefaultPort = 6443

// portFile, under the state directory, keeps the port the control plane
// last listened on: later runs take it again, so the admin kubeconfig
// written by an earlier run keeps working.
const portFile = "port"

// listenControlPlane opens the control plane's listener on 127.0.0.1. An
// explicit port (the --port flag) must be free. Otherwise the port of this
// project's last run is tried, or defaultPort on a first run, and when that
// is taken (a local cluster often holds 6443) a free port is picked and
// reported. The port used is kept in the state directory.
func listenControlPlane(state string, explicit, defaultPort int, out io.Writer) (net.Listener, error) {
	if explicit != 0 {
		l, err := listenLoopback(explicit)
		if err != nil {
			return nil, fmt.Errorf("--port %d: %w; choose another port or leave --port out to have a free one picked", explicit, err)
		}
		return l, rememberPort(state, explicit)
	}
	want, err := lastPort(state)
	if err != nil {
		return nil, err
	}
	if want == 0 {
		want = defaultPort
	}
	l, err := listenLoopback(want)
	if errors.Is(err, syscall.EADDRINUSE) {
		if l, err = listenLoopback(0); err == nil {
			fmt.Fprintf(out, "==> port %d is in use; the control plane takes port %d instead and keeps it for this project's later runs (%s)\n",
				want, l.Addr().(*net.TCPAddr).Port, filepath.Join(state, portFile))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("control plane port: %w", err)
	}
	return l, rememberPort(state, l.Addr().(*net.TCPAddr).Port)
}

func listenLoopback(port int) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// lastPort reads the port kept by an earlier run; 0 when there is none.
func lastPort(state string) (int, error) {
	data, err := os.ReadFile(filepath.Join(state, portFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("control plane port: %w", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || port <= 0 || port > 65535 {
		return 0, fmt.Errorf("control plane port: %s holds %q, not a port; delete it to pick again", filepath.Join(state, portFile), data)
	}
	return port, nil
}

func rememberPort(state string, port int) error {
	if err := os.WriteFile(filepath.Join(state, portFile), []byte(strconv.Itoa(port)+"\n"), 0o600); err != nil {
		return fmt.Errorf("control plane port: %w", err)
	}
	return nil
}
