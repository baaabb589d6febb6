package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apihttpstream "k8s.io/apimachinery/pkg/util/httpstream"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	spdytransport "k8s.io/client-go/transport/spdy"
	streamhttp "k8s.io/streaming/pkg/httpstream"
	streamspdy "k8s.io/streaming/pkg/httpstream/spdy"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

const streamsGroupVersion = "streams.example.com/v1"

// streamsPath is the URL path of a subresource of echo "x" in default.
func streamsPath(subresource string) string {
	return "/apis/" + streamsGroupVersion + "/namespaces/default/echoes/x/" + subresource
}

// streamBackend is an extension server whose echoes/x/exec and
// echoes/x/portforward speak, over SPDY/3.1, the server side of the
// protocols the kubelet serves for pods (remotecommand v4/v5 and
// portforward.k8s.io), so client-go's own clients can be pointed at it
// through aggkit.
type streamBackend struct {
	*httptest.Server

	mu       sync.Mutex
	hits     []upgradeHit
	problems []string
	// portForwardEnded gets a value each time a port-forward connection
	// ends on the backend's side.
	portForwardEnded chan struct{}
}

// upgradeHit is what the backend saw of one request for a subresource.
type upgradeHit struct {
	Path, User, Peer string
	Groups           []string
	// Credentials lists caller headers that must never reach a backend.
	Credentials []string
}

func startStreamBackend(t *testing.T, a *framework.Aggkit, serving *framework.ServingCert) *streamBackend {
	t.Helper()
	frontProxyCA, err := os.ReadFile(filepath.Join(a.DataDir, "pki", "front-proxy-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AppendCertsFromPEM(frontProxyCA)
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	b := &streamBackend{portForwardEnded: make(chan struct{}, 16)}
	b.Server = httptest.NewUnstartedServer(b)
	// HTTP/2 offered first, as a generic apiserver does: aggkit must still
	// send an upgrade over HTTP/1.1, where alone it can happen.
	b.EnableHTTP2 = true
	b.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: clientCAs, ClientAuth: tls.RequireAndVerifyClientCert, NextProtos: []string{"h2", "http/1.1"}}
	b.StartTLS()
	t.Cleanup(b.Close)
	return b
}

func (b *streamBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/apis/"+streamsGroupVersion {
		_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: streamsGroupVersion,
			APIResources: []metav1.APIResource{
				{Name: "echoes", Kind: "Echo", Namespaced: true, Verbs: []string{"get"}},
				{Name: "echoes/exec", Kind: "Echo", Namespaced: true, Verbs: []string{"create"}},
				{Name: "echoes/portforward", Kind: "Echo", Namespaced: true, Verbs: []string{"create"}},
			}})
		return
	}
	hit := upgradeHit{Path: r.URL.Path, User: r.Header.Get("X-Remote-User"), Groups: r.Header.Values("X-Remote-Group"), Peer: r.TLS.PeerCertificates[0].Subject.CommonName}
	for name := range r.Header {
		if name == "Authorization" || strings.HasPrefix(name, "Impersonate-") {
			hit.Credentials = append(hit.Credentials, name)
		}
	}
	b.mu.Lock()
	b.hits = append(b.hits, hit)
	b.mu.Unlock()
	switch r.URL.Path {
	case streamsPath("exec"):
		b.serveExec(w, r)
	case streamsPath("portforward"):
		b.servePortForward(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveExec runs "cat": stdin is echoed to stdout until the client closes
// stdin; stderr tells the negotiated protocol and the user; the error
// stream reports success, as the kubelet reports an exit code of 0.
func (b *streamBackend) serveExec(w http.ResponseWriter, r *http.Request) {
	protocol, err := streamhttp.Handshake(r, w, []string{remotecommandconsts.StreamProtocolV5Name, remotecommandconsts.StreamProtocolV4Name})
	if err != nil {
		b.problem("exec handshake: %v", err)
		return
	}
	streams := make(chan streamhttp.Stream, 8)
	conn := streamspdy.NewResponseUpgrader().UpgradeResponse(w, r, acceptStreams(streams))
	if conn == nil {
		b.problem("exec: the SPDY upgrade failed")
		return
	}
	defer conn.Close() // as the kubelet does once the command is done
	byType, err := awaitStreams(streams, conn.CloseChan(), corev1.StreamTypeError, corev1.StreamTypeStdin, corev1.StreamTypeStdout, corev1.StreamTypeStderr)
	if err != nil {
		b.problem("exec: %v", err)
		return
	}
	fmt.Fprintf(byType[corev1.StreamTypeStderr], "%s %s\n", protocol, r.Header.Get("X-Remote-User"))
	_, copyErr := io.Copy(byType[corev1.StreamTypeStdout], byType[corev1.StreamTypeStdin])
	byType[corev1.StreamTypeStdout].Close()
	byType[corev1.StreamTypeStderr].Close()
	status := metav1.Status{Status: metav1.StatusSuccess}
	if copyErr != nil {
		status = metav1.Status{Status: metav1.StatusFailure, Message: "copying stdin to stdout: " + copyErr.Error()}
	}
	if err := json.NewEncoder(byType[corev1.StreamTypeError]).Encode(status); err != nil {
		b.problem("exec: writing the error stream: %v", err)
	}
	byType[corev1.StreamTypeError].Close()
}

// servePortForward answers every data stream with a line naming the port
// and request from its headers, then echoes it; it returns when the
// connection ends, and says so on portForwardEnded.
func (b *streamBackend) servePortForward(w http.ResponseWriter, r *http.Request) {
	if _, err := streamhttp.Handshake(r, w, []string{portforward.PortForwardProtocolV1Name}); err != nil {
		b.problem("port-forward handshake: %v", err)
		return
	}
	streams := make(chan streamhttp.Stream, 8)
	conn := streamspdy.NewResponseUpgrader().UpgradeResponse(w, r, acceptStreams(streams))
	if conn == nil {
		b.problem("port-forward: the SPDY upgrade failed")
		return
	}
	defer conn.Close()
	user := r.Header.Get("X-Remote-User")
	for {
		select {
		case s := <-streams:
			// Error streams stay open and silent: nothing goes wrong here.
			if s.Headers().Get(corev1.StreamType) == corev1.StreamTypeData {
				go func() {
					fmt.Fprintf(s, "port %s request %s for %s\n", s.Headers().Get(corev1.PortHeader), s.Headers().Get(corev1.PortForwardRequestIDHeader), user)
					_, _ = io.Copy(s, s) // ends with an error when the connection is closed
				}()
			}
		case <-conn.CloseChan():
			select {
			case b.portForwardEnded <- struct{}{}:
			default:
			}
			return
		}
	}
}

// acceptStreams accepts every stream the client opens and hands it over.
func acceptStreams(streams chan<- streamhttp.Stream) streamhttp.NewStreamHandler {
	return func(s streamhttp.Stream, _ <-chan struct{}) error {
		select {
		case streams <- s:
			return nil
		default:
			return errors.New("too many streams")
		}
	}
}

// awaitStreams waits until the client opened one stream of each type.
func awaitStreams(streams <-chan streamhttp.Stream, closed <-chan bool, types ...string) (map[string]streamhttp.Stream, error) {
	byType := map[string]streamhttp.Stream{}
	timeout := time.After(time.Minute)
	for len(byType) < len(types) {
		select {
		case s := <-streams:
			streamType := s.Headers().Get(corev1.StreamType)
			if !slices.Contains(types, streamType) {
				return nil, fmt.Errorf("unexpected stream type %q", streamType)
			}
			byType[streamType] = s
		case <-closed:
			return nil, fmt.Errorf("connection closed with only streams %v", slices.Sorted(maps.Keys(byType)))
		case <-timeout:
			return nil, fmt.Errorf("only streams %v after a minute", slices.Sorted(maps.Keys(byType)))
		}
	}
	return byType, nil
}

func (b *streamBackend) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// snapshot returns the hits and problems so far.
func (b *streamBackend) snapshot() ([]upgradeHit, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.hits), slices.Clone(b.problems)
}

// hitsBy returns the hits made on behalf of user.
func (b *streamBackend) hitsBy(user string) []upgradeHit {
	hits, _ := b.snapshot()
	return slices.DeleteFunc(hits, func(h upgradeHit) bool { return h.User != user })
}

// TestSPDYUpgradesThroughProxy: exec and port-forward reach an aggregated
// backend through aggkit over SPDY, both ways, as the caller; a caller
// without the right is refused before anything reaches the backend.
func TestSPDYUpgradesThroughProxy(t *testing.T) {
	a := framework.StartAggkit(t, "")
	k := framework.NewKubectl(t, a.Kubeconfig)
	serving := framework.NewServingCert(t, "streams", "api")
	backend := startStreamBackend(t, a, serving)
	registerBackend(t, k, serving, backend.URL, "streams")

	// bob may exec and port-forward into echoes in default, as a pod user
	// may for pods; carol has no rights.
	k.Apply(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"echo-streamer"},
		"rules":[{"apiGroups":["streams.example.com"],"resources":["echoes/exec","echoes/portforward"],"verbs":["create"]}]}`)
	k.MustRun("create", "rolebinding", "bob-streams", "-n", "default", "--clusterrole=echo-streamer", "--user=bob")
	bob := userConfig(t, a, "bob", "team-a")
	// Headers a caller writes to pose as someone else must not survive.
	bob.WrapTransport = forgeIdentity
	carol := userConfig(t, a, "carol")
	waitUntilAllowed(t, bob, "exec")
	waitUntilAllowed(t, bob, "portforward")

	t.Run("exec streams stdin to stdout and ends when stdin closes", func(t *testing.T) {
		// Larger than SPDY's initial 64 KiB window, so window updates must
		// cross the proxy too.
		stdin := "hello\n" + strings.Repeat("through aggkit over SPDY/3.1\n", 10000) + "bye\n"
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := execEcho(ctx, bob, strings.NewReader(stdin), &stdout, &stderr); err != nil {
			t.Fatalf("exec through aggkit: %v (stderr %q)", err, stderr.String())
		}
		if stdout.String() != stdin {
			t.Errorf("stdout has %d bytes, want the %d of stdin echoed (starts %q)", stdout.Len(), len(stdin), head(stdout.String(), 40))
		}
		if want := remotecommandconsts.StreamProtocolV5Name + " bob\n"; stderr.String() != want {
			t.Errorf("stderr = %q, want %q (negotiated protocol, user the backend saw)", stderr.String(), want)
		}
		checkIdentity(t, backend, streamsPath("exec"))
	})

	t.Run("port-forward carries two streams both ways and its close reaches the backend", func(t *testing.T) {
		conn := dialPortForward(t, bob)
		defer conn.Close()
		type forwarded struct {
			port   string
			data   io.ReadWriteCloser
			reader *bufio.Reader
		}
		var ports []forwarded
		for i, p := range []string{"8080", "9090"} {
			headers := http.Header{}
			headers.Set(corev1.StreamType, corev1.StreamTypeError)
			headers.Set(corev1.PortHeader, p)
			headers.Set(corev1.PortForwardRequestIDHeader, fmt.Sprint(i))
			if _, err := conn.CreateStream(headers); err != nil {
				t.Fatalf("error stream for port %s: %v", p, err)
			}
			headers.Set(corev1.StreamType, corev1.StreamTypeData)
			data, err := conn.CreateStream(headers)
			if err != nil {
				t.Fatalf("data stream for port %s: %v", p, err)
			}
			ports = append(ports, forwarded{port: p, data: data, reader: bufio.NewReader(data)})
		}
		// Write on both before reading either: the streams are independent.
		for _, f := range ports {
			if _, err := fmt.Fprintf(f.data, "to %s\n", f.port); err != nil {
				t.Fatalf("writing to port %s: %v", f.port, err)
			}
		}
		for i := len(ports) - 1; i >= 0; i-- {
			f := ports[i]
			for _, want := range []string{fmt.Sprintf("port %s request %d for bob\n", f.port, i), "to " + f.port + "\n"} {
				line, err := f.reader.ReadString('\n')
				if err != nil || line != want {
					t.Fatalf("port %s: read %q, %v; want %q", f.port, line, err, want)
				}
			}
		}
		checkIdentity(t, backend, streamsPath("portforward"))

		conn.Close()
		select {
		case <-backend.portForwardEnded:
		case <-time.After(time.Minute):
			t.Fatal("the backend still holds the port-forward connection a minute after the client closed it")
		}
	})

	t.Run("a caller without rights is refused before the backend", func(t *testing.T) {
		for _, tc := range []struct{ subresource, protocol string }{
			{"exec", remotecommandconsts.StreamProtocolV5Name},
			{"portforward", portforward.PortForwardProtocolV1Name},
		} {
			t.Run(tc.subresource, func(t *testing.T) {
				status := refusedUpgrade(t, carol, tc.subresource, tc.protocol)
				if status.Reason != metav1.StatusReasonForbidden || !strings.Contains(status.Message, `"echoes/`+tc.subresource+`"`) {
					t.Errorf("refusal: %+v", status)
				}
			})
		}
		// The way kubectl exec would try it, too.
		err := execEcho(context.Background(), carol, strings.NewReader("hello\n"), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "forbidden") {
			t.Errorf("exec without rights: %v, want forbidden", err)
		}
		if hits := backend.hitsBy("carol"); len(hits) > 0 {
			t.Errorf("requests without rights reached the backend: %+v", hits)
		}
	})

	if _, problems := backend.snapshot(); len(problems) > 0 {
		t.Errorf("backend: %s", strings.Join(problems, "; "))
	}
}

// userConfig is a client configuration for a certificate user.
func userConfig(t *testing.T, a *framework.Aggkit, name string, groups ...string) *rest.Config {
	t.Helper()
	cfg, err := clientcmdConfig(a.UserKubeconfig(name, groups...))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// forgeIdentity adds the headers a front proxy would send, as a caller
// trying to pass for an administrator would.
func forgeIdentity(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Remote-User", "admin")
		r.Header.Add("X-Remote-Group", "system:masters")
		return rt.RoundTrip(r)
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// waitUntilAllowed waits until aggkit's authorizer lets cfg's user create
// echoes/<subresource> in default (a new binding takes a moment to apply).
func waitUntilAllowed(t *testing.T, cfg *rest.Config, subresource string) {
	t.Helper()
	client := framework.ClientFor(t, cfg)
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
		Namespace: "default", Verb: "create", Group: "streams.example.com", Resource: "echoes", Subresource: subresource, Name: "x"}}}
	var last string
	framework.Eventually(t, 30*time.Second, func() bool {
		got, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), review, metav1.CreateOptions{})
		if err != nil {
			last = err.Error()
			return false
		}
		last = fmt.Sprintf("%+v", got.Status)
		return got.Status.Allowed
	}, func() string { return "create echoes/" + subresource + " never allowed: " + last })
}

// execEcho runs the backend's "cat" with client-go's SPDY executor, the
// code kubectl exec uses.
func execEcho(ctx context.Context, cfg *rest.Config, stdin io.Reader, stdout, stderr io.Writer) error {
	u, err := url.Parse(cfg.Host + streamsPath("exec") + "?command=cat&stdin=true&stdout=true&stderr=true")
	if err != nil {
		return err
	}
	executor, err := remotecommand.NewSPDYExecutor(cfg, http.MethodPost, u)
	if err != nil {
		return err
	}
	return executor.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// dialPortForward opens a port-forward connection the way client-go's
// portforward package does.
func dialPortForward(t *testing.T, cfg *rest.Config) apihttpstream.Connection {
	t.Helper()
	transport, upgrader, err := spdytransport.RoundTripperFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(cfg.Host + streamsPath("portforward"))
	if err != nil {
		t.Fatal(err)
	}
	dialer := spdytransport.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	conn, protocol, err := dialer.Dial(portforward.PortForwardProtocolV1Name)
	if err != nil {
		t.Fatalf("port-forward through aggkit: %v", err)
	}
	if protocol != portforward.PortForwardProtocolV1Name {
		conn.Close()
		t.Fatalf("negotiated protocol %q", protocol)
	}
	return conn
}

// refusedUpgrade sends the SPDY upgrade request for echoes/x/<subresource>
// as cfg's user, expects 403, and returns the Status.
func refusedUpgrade(t *testing.T, cfg *rest.Config, subresource, protocol string) *metav1.Status {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS(t, cfg)}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodPost, cfg.Host+streamsPath(subresource), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", streamspdy.HeaderSpdy31)
	req.Header.Set(streamhttp.HeaderProtocolVersion, protocol)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("upgrade without rights: HTTP %d %s", resp.StatusCode, body)
	}
	status := &metav1.Status{}
	if err := json.Unmarshal(body, status); err != nil {
		t.Fatalf("refusal is not a Status: %v: %s", err, body)
	}
	return status
}

// checkIdentity: the backend saw the request for path come from bob, as
// authenticated by aggkit, over the aggregator's proxy certificate.
func checkIdentity(t *testing.T, backend *streamBackend, path string) {
	t.Helper()
	hits, _ := backend.snapshot()
	found := false
	for _, h := range hits {
		if h.Path != path {
			continue
		}
		found = true
		if h.User != "bob" || !slices.Contains(h.Groups, "team-a") || slices.Contains(h.Groups, "system:masters") || h.Peer != "aggregator" || len(h.Credentials) > 0 {
			t.Errorf("backend saw %+v for %s, want bob (group team-a) over the aggregator's certificate, no credentials", h, path)
		}
	}
	if !found {
		t.Errorf("no request for %s reached the backend", path)
	}
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
