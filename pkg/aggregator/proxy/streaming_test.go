package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// guard bounds how long a broken proxy can make a test wait before it fails;
// nothing is asserted about durations.
const guard = 30 * time.Second

func TestWatchFlushedIncrementally(t *testing.T) {
	h := newHarness(t, nil)
	release := make(chan struct{})
	clientGone := make(chan struct{})
	b := h.startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"type":"ADDED"}`+"\n")
		http.NewResponseController(w).Flush()
		if r.URL.Query().Get("endless") != "" {
			<-r.Context().Done()
			close(clientGone)
			return
		}
		<-release // the client must see ADDED before MODIFIED exists
		_, _ = io.WriteString(w, `{"type":"MODIFIED"}`+"\n")
	}))
	h.route(t, b.Address)
	h.register(nil)

	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.front.URL+groupPath+"/flunders?watch=true", nil)
	resp, err := h.front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	if line, err := lines.ReadString('\n'); err != nil || !strings.Contains(line, "ADDED") {
		t.Fatalf("first event: %q, %v (was the stream buffered?)", line, err)
	}
	close(release)
	if line, err := lines.ReadString('\n'); err != nil || !strings.Contains(line, "MODIFIED") {
		t.Fatalf("second event: %q, %v", line, err)
	}
	if rest, err := io.ReadAll(lines); err != nil || len(rest) != 0 {
		t.Fatalf("the stream did not end with the backend's response: %q, %v", rest, err)
	}

	// The client hanging up ends the backend's side too.
	endlessCtx, hangUp := context.WithCancel(ctx)
	req, _ = http.NewRequestWithContext(endlessCtx, http.MethodGet, h.front.URL+groupPath+"/flunders?watch=true&endless=1", nil)
	resp, err = h.front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || !strings.Contains(line, "ADDED") {
		t.Fatalf("endless stream: %q, %v", line, err)
	}
	hangUp()
	resp.Body.Close()
	select {
	case <-clientGone:
	case <-ctx.Done():
		t.Fatal("the backend never saw the client leave")
	}
}

// echoUpgrade switches to a line echo protocol after telling who called.
var echoUpgrade = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "echo" {
		http.Error(w, "upgrade to echo expected", http.StatusBadRequest)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	cn := "<none>"
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		cn = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	fmt.Fprint(rw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	fmt.Fprintf(rw, "user=%s groups=%s authorization=%q impersonate=%q cert=%s\n", r.Header.Get("X-Remote-User"),
		strings.Join(r.Header.Values("X-Remote-Group"), ","), r.Header.Get("Authorization"), r.Header.Get("Impersonate-User"), cn)
	_ = rw.Flush()
	for {
		line, err := rw.ReadString('\n')
		if err != nil {
			return
		}
		_, _ = rw.WriteString("echo " + line)
		_ = rw.Flush()
	}
})

func TestUpgradeRoundTrip(t *testing.T) {
	h := newHarness(t, nil)
	b := h.startBackend(t, echoUpgrade)
	h.route(t, b.Address)
	h.register(nil)

	conn, err := net.Dial("tcp", h.front.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(guard))
	fmt.Fprintf(conn, "GET %s/namespaces/default/flunders/a/exec HTTP/1.1\r\nHost: front\r\nConnection: Upgrade\r\nUpgrade: echo\r\n"+
		"Authorization: Bearer secret\r\nX-Remote-User: mallory\r\nX-Remote-Group: system:masters\r\nImpersonate-User: admin\r\n\r\n", groupPath)
	in := bufio.NewReader(conn)
	resp, err := http.ReadResponse(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	hello, err := in.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	want := `user=alice groups=dev,system:authenticated authorization="" impersonate="" cert=front-proxy-client` + "\n"
	if hello != want {
		t.Fatalf("backend saw %q; want %q", hello, want)
	}
	for _, msg := range []string{"ping\n", "pong\n"} {
		if _, err := io.WriteString(conn, msg); err != nil {
			t.Fatal(err)
		}
		if got, err := in.ReadString('\n'); err != nil || got != "echo "+msg {
			t.Fatalf("round trip of %q: %q, %v", msg, got, err)
		}
	}
}
