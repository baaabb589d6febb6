package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// writeKind is one of the two things the client writes.
type writeKind struct {
	name string
	// path of the collection on an aggkit replica.
	path string
	body func(seq int) string
}

var (
	configMaps = writeKind{name: "ConfigMap", path: "/api/v1/namespaces/" + writeNamespace + "/configmaps",
		body: func(seq int) string {
			return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-%d"},"data":{"seq":"%d"}}`, seq, seq)
		}}
	flunders = writeKind{name: "Flunder", path: "/apis/wardle.example.com/v1alpha1/namespaces/" + writeNamespace + "/flunders",
		body: func(seq int) string {
			return fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"f-%d","labels":{"seq":"%d"}}}`, seq, seq)
		}}
	writeKinds = []writeKind{configMaps, flunders}
)

// write is the outcome of one logical write (all its attempts).
type write struct {
	kind    string
	seq     int
	start   time.Time
	end     time.Time
	acked   bool
	errKind string // final error, when not acked
	// retried are the connection errors that were retried on another replica.
	retried []string
}

// writer creates objects across the replicas with plain HTTP (no client-go
// retries), retrying a write on the next replica only after a connection
// error, and records every outcome.
type writer struct {
	clients []*http.Client
	hosts   []string

	mu       sync.Mutex
	writes   []write
	examples map[string]string // error kind -> one message
	seq      int
}

func newWriter(t *testing.T, e *env) *writer {
	w := &writer{examples: map[string]string{}}
	for _, a := range e.Replicas {
		cfg := a.RESTConfig()
		client := framework.HTTPClient(t, cfg)
		client.Timeout = 10 * time.Second
		w.clients = append(w.clients, client)
		w.hosts = append(w.hosts, cfg.Host)
	}
	return w
}

// run keeps workers writers per kind busy until ctx ends.
func (w *writer) run(ctx context.Context, workers int, pause time.Duration) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, kind := range writeKinds {
		for range workers {
			wg.Go(func() {
				for ctx.Err() == nil {
					w.writeOne(kind)
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
			})
		}
	}
	return &wg
}

func (w *writer) writeOne(kind writeKind) {
	w.mu.Lock()
	w.seq++
	seq := w.seq
	w.mu.Unlock()
	rec := write{kind: kind.name, seq: seq, start: time.Now()}
	const attempts = 6
	for attempt := range attempts {
		replica := (seq + attempt) % len(w.clients)
		code, status, err := w.post(replica, kind.path, kind.body(seq))
		switch {
		case err == nil && code == http.StatusCreated:
			rec.acked = true
		case err == nil && code == http.StatusConflict && status.Reason == metav1.StatusReasonAlreadyExists && attempt > 0:
			// An earlier attempt was stored before its connection broke.
			rec.acked = true
		case err != nil && isConnectionError(err):
			rec.retried = append(rec.retried, errorKind(err, 0, nil))
			w.example(errorKind(err, 0, nil), err.Error())
			if attempt+1 < attempts {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			rec.errKind = "gave up: " + errorKind(err, 0, nil)
		default:
			rec.errKind = errorKind(err, code, status)
			msg := ""
			if err != nil {
				msg = err.Error()
			} else if status != nil {
				msg = status.Message
			}
			w.example(rec.errKind, fmt.Sprintf("replica %d: %s", replica, msg))
		}
		break
	}
	rec.end = time.Now()
	w.mu.Lock()
	w.writes = append(w.writes, rec)
	w.mu.Unlock()
}

func (w *writer) post(replica int, path, body string) (int, *metav1.Status, error) {
	req, err := http.NewRequest(http.MethodPost, w.hosts[replica]+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := w.clients[replica].Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	status := &metav1.Status{}
	if resp.StatusCode != http.StatusCreated {
		if json.Unmarshal(data, status) != nil || status.Kind != "Status" {
			status = &metav1.Status{Reason: "NotAStatus", Message: string(data[:min(len(data), 200)])}
		}
	}
	return resp.StatusCode, status, nil
}

func (w *writer) example(kind, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.examples[kind]; !ok {
		w.examples[kind] = msg
	}
}

func (w *writer) snapshot() []write {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]write(nil), w.writes...)
}

// isConnectionError is true when the request never got an answer because
// the connection failed: the only errors a careful client may retry on
// another replica without knowing whether the write happened (a retried
// create that was stored answers AlreadyExists).
func isConnectionError(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "http2: client connection lost") || strings.Contains(err.Error(), "GOAWAY")
}

// errorKind names an outcome for the table: a connection failure, a client
// timeout, or the HTTP code and Status reason.
func errorKind(err error, code int, status *metav1.Status) string {
	var netErr net.Error
	switch {
	case err == nil && status.Reason == "":
		return fmt.Sprintf("%d (no reason)", code)
	case err == nil:
		return fmt.Sprintf("%d %s", code, status.Reason)
	case errors.As(err, &netErr) && netErr.Timeout():
		return "client timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		strings.Contains(err.Error(), "connection lost"), strings.Contains(err.Error(), "GOAWAY"):
		return "connection closed"
	default:
		return "other: " + err.Error()[:min(len(err.Error()), 60)]
	}
}

// readBack lists what replica i stores of kind and returns seq -> whether the
// object carries its seq as written.
func (w *writer) readBack(replica int, kind writeKind) (map[int]bool, error) {
	req, _ := http.NewRequest(http.MethodGet, w.hosts[replica]+kind.path, nil)
	req.Header.Set("Accept", "application/json")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := w.clients[replica].Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list %s: HTTP %d %s", kind.name, resp.StatusCode, data[:min(len(data), 300)])
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name   string            `json:"name"`
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
			Data map[string]string `json:"data"`
		} `json:"items"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&list); err != nil {
		return nil, err
	}
	got := map[int]bool{}
	for _, item := range list.Items {
		var seq int
		if _, err := fmt.Sscanf(item.Metadata.Name[strings.Index(item.Metadata.Name, "-")+1:], "%d", &seq); err != nil {
			continue
		}
		value := item.Data["seq"]
		if kind.name == flunders.name {
			value = item.Metadata.Labels["seq"]
		}
		got[seq] = value == fmt.Sprint(seq)
	}
	return got, nil
}
