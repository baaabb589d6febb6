package runlocal

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aggkit/aggkit/pkg/project"
)

// The default port is taken: a free one is picked, said, kept and taken
// again by the next run, even once the default is free again.
func TestListenControlPlaneFallsBackAndKeepsThePort(t *testing.T) {
	state := t.TempDir()
	taken := holdPort(t)
	var out bytes.Buffer
	l, err := listenControlPlane(state, 0, taken, &out)
	if err != nil {
		t.Fatal(err)
	}
	picked := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if picked == taken {
		t.Fatalf("listened on the taken port %d", taken)
	}
	if !strings.Contains(out.String(), "port "+itoa(taken)+" is in use") || !strings.Contains(out.String(), "takes port "+itoa(picked)) {
		t.Errorf("output does not say which port: %q", out.String())
	}
	if data, _ := os.ReadFile(filepath.Join(state, portFile)); strings.TrimSpace(string(data)) != itoa(picked) {
		t.Errorf("%s holds %q, want %d", portFile, data, picked)
	}

	out.Reset()
	l, err = listenControlPlane(state, 0, freeTestPort(t), &out)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.Addr().(*net.TCPAddr).Port; got != picked {
		t.Errorf("second run listens on %d, want the kept %d", got, picked)
	}
	if out.Len() != 0 {
		t.Errorf("second run reported %q", out.String())
	}
}

// A taken --port is an error naming the flag, before the project is built.
func TestRunRefusesATakenExplicitPort(t *testing.T) {
	dir := t.TempDir()
	p := &project.Project{Name: "insurance", Domain: "example.com", Group: "insurance.example.com",
		Module: "example.com/insurance", Resources: []project.Resource{{Version: "v1", Kind: "Policy"}}}
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	taken := holdPort(t)
	var out bytes.Buffer
	err := Run(context.Background(), Options{Dir: dir, Port: taken, Out: &out})
	if err == nil || !strings.Contains(err.Error(), "--port "+itoa(taken)) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("error %v, want one naming --port %d", err, taken)
	}
	if out.Len() != 0 {
		t.Errorf("Run went on after the port error: %q", out.String())
	}
}

// holdPort listens on a free loopback port until the test ends.
func holdPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}
