package apidocs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/childprocess"
	"github.com/aggkit/aggkit/pkg/pki"
)

// FetchOptions say which project's server to ask and how to report.
type FetchOptions struct {
	// Dir is the project: a Go main package whose server is built on
	// pkg/extension (its generated code present).
	Dir string
	// Progress receives one line per step ("==> building ..."); nil for none.
	Progress io.Writer
	// StartTimeout bounds the wait for the server to be ready; 0 means two
	// minutes.
	StartTimeout time.Duration
}

// FetchFromProject builds the project's server, starts it standalone on
// loopback with a throw-away in-memory store and a temporary client CA,
// reads each group's preferred version from /apis and each group/version's
// OpenAPI v3 document, and stops the server. A server that does not come up
// gives an error ending with its last log lines.
func FetchFromProject(ctx context.Context, o FetchOptions) ([]GroupDocs, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "aggkit-docs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	step := newStepper(o.Progress)
	step.begin("building %s", dir)
	binary := filepath.Join(tmp, "server")
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build in %s: %w\n%s", dir, err, out)
	}

	step.begin("starting the server")
	srv, err := startStandalone(binary, tmp)
	if err != nil {
		return nil, err
	}
	// An interrupt lets the server remove its in-memory store.
	defer srv.proc.Stop(15 * time.Second)
	timeout := o.StartTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	readyCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := srv.proc.WaitReady(readyCtx, srv.client, srv.base, "the server"); err != nil {
		return nil, fmt.Errorf("%w; its last log lines:\n%s", err, srv.tail())
	}

	step.begin("fetching OpenAPI v3")
	groups, err := srv.fetchGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, srv.tail())
	}
	step.end()
	return groups, nil
}

// standaloneServer is a running server process and a client it accepts.
type standaloneServer struct {
	proc   *childprocess.Process
	base   string
	client *http.Client
}

// tail is the end of the server's output, indented.
func (s *standaloneServer) tail() string {
	if t := s.proc.Tail("    "); t != "" {
		return strings.TrimSuffix(t, "\n")
	}
	return "    (no output)"
}

// startStandalone writes a CA, a serving and a system:masters client
// certificate to dir and starts binary with them.
func startStandalone(binary, dir string) (*standaloneServer, error) {
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "aggkit-docs-ca")
	if err != nil {
		return nil, fmt.Errorf("temporary CA: %w", err)
	}
	serving := pki.CertSpec{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true}
	if err := ca.LoadOrIssue(filepath.Join(dir, "serving.crt"), filepath.Join(dir, "serving.key"), serving); err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	// Standalone servers authorize system:masters only.
	admin := pki.CertSpec{CommonName: "aggkit-docs", Organizations: []string{"system:masters"}, Client: true}
	if err := ca.LoadOrIssue(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"), admin); err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	clientCert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)

	port, err := childprocess.FreePort()
	if err != nil {
		return nil, err
	}
	proc, err := childprocess.Start(binary, []string{
		"--standalone", "--in-memory",
		"--client-ca-file", filepath.Join(dir, "ca.crt"),
		"--tls-cert-file", filepath.Join(dir, "serving.crt"),
		"--tls-private-key-file", filepath.Join(dir, "serving.key"),
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(port),
	}, "", 30)
	if err != nil {
		return nil, err
	}
	s := &standaloneServer{
		proc: proc,
		base: "https://127.0.0.1:" + strconv.Itoa(port),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert}, MinVersion: tls.VersionTLS12},
		}},
	}
	klog.V(2).InfoS("Started server for API docs", "binary", binary, "address", s.base, "pid", proc.Pid())
	return s, nil
}

func (s *standaloneServer) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// fetchGroups reads /openapi/v3 for the served group/versions, /apis for
// the preferred versions, and each group/version's document.
func (s *standaloneServer) fetchGroups(ctx context.Context) ([]GroupDocs, error) {
	body, err := s.get(ctx, "/openapi/v3")
	if err != nil {
		return nil, err
	}
	var root struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &root); err != nil {
		return nil, fmt.Errorf("decode /openapi/v3: %w", err)
	}
	body, err = s.get(ctx, "/apis")
	if err != nil {
		return nil, err
	}
	var discovery metav1.APIGroupList
	if err := json.Unmarshal(body, &discovery); err != nil {
		return nil, fmt.Errorf("decode /apis: %w", err)
	}
	preferred := map[string]string{}
	for _, g := range discovery.Groups {
		preferred[g.Name] = g.PreferredVersion.Version
	}

	byGroup := map[string]*GroupDocs{}
	keys := make([]string, 0, len(root.Paths))
	for key := range root.Paths {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		parts := strings.Split(key, "/")
		if len(parts) != 3 || parts[0] != "apis" {
			continue // the legacy core API, /apis and /version
		}
		group, version := parts[1], parts[2]
		url := root.Paths[key].ServerRelativeURL
		if url == "" {
			url = "/openapi/v3/" + key
		}
		doc, err := s.get(ctx, url)
		if err != nil {
			return nil, err
		}
		g := byGroup[group]
		if g == nil {
			g = &GroupDocs{Group: group, PreferredVersion: preferred[group], OpenAPI: map[string][]byte{}}
			byGroup[group] = g
		}
		g.OpenAPI[version] = doc
	}
	if len(byGroup) == 0 {
		return nil, errors.New("the server's /openapi/v3 lists no API group")
	}
	var groups []GroupDocs
	for _, g := range byGroup {
		groups = append(groups, *g)
	}
	slices.SortFunc(groups, func(a, b GroupDocs) int { return strings.Compare(a.Group, b.Group) })
	return groups, nil
}
