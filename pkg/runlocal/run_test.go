package runlocal

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aggkit/aggkit/pkg/childprocess"
)

// A server that exits right away: serve fails with its exit status and the
// end of its log, and stops the control plane.
func TestServeReportsAServerThatExitsEarly(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "broken")
	script := "#!/bin/sh\n" +
		"echo starting; echo 'E0101 cannot open the flux capacitor' >&2; exit 3\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	port := freeTestPort(t)
	var out bytes.Buffer
	r := &run{out: &out, built: time.Now(), name: "broken", state: dir, bin: bin}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	err := r.serve(ctx, Options{Port: port})
	if err == nil {
		t.Fatalf("serve returned nil; output:\n%s", out.String())
	}
	for _, want := range []string{"exited with status 3", "  | starting", "  | E0101 cannot open the flux capacitor"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "server.log")); !strings.Contains(string(log), "flux capacitor") {
		t.Errorf("server.log: %q", log)
	}
	// The control plane is stopped: its port is free again.
	l, listenErr := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
	if listenErr != nil {
		t.Errorf("control plane port still taken after serve returned: %v", listenErr)
	} else {
		l.Close()
	}
}

func freeTestPort(t *testing.T) int {
	t.Helper()
	port, err := childprocess.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func itoa(n int) string { return strconv.Itoa(n) }
