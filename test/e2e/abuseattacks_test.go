package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// outcomes counts what the attacker's requests got, by kind.
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) add(kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[kind]++
}

func (o *outcomes) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(o.n)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, o.n[k]))
	}
	if len(parts) == 0 {
		return "nothing completed"
	}
	return strings.Join(parts, "; ")
}

// kinds lists the kinds counted so far.
func (o *outcomes) kinds() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ks []string
	for k := range o.n {
		ks = append(ks, k)
	}
	return ks
}

// loop runs round in workers goroutines until stopped; start returns once
// every worker has begun (and waits at most a few seconds for a first round
// to finish, so the attack is in full swing when kubectl runs).
func loop(workers int, round func(ctx context.Context, worker int, o *outcomes)) (stop func() string) {
	ctx, cancel := context.WithCancel(context.Background())
	o := &outcomes{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				round(ctx, w, o)
			}
		})
	}
	for deadline := time.Now().Add(5 * time.Second); len(o.kinds()) == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	return func() string {
		cancel()
		wg.Wait()
		return o.String()
	}
}

// send sends one request as mallory and counts its answer ("HTTP 413") or
// failure, unless the attack was stopped meanwhile.
func (e *abuseEnv) send(ctx context.Context, client *http.Client, o *outcomes, label, method, path, contentType string, body io.Reader) int {
	req, err := http.NewRequestWithContext(ctx, method, e.mallory.Host+path, body)
	if err != nil {
		e.t.Error(err)
		return 0
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if ctx.Err() != nil {
		if err == nil {
			resp.Body.Close()
		}
		return 0
	}
	if err != nil {
		o.add(label + "error: " + errorKind(err))
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o.add(fmt.Sprintf("%sHTTP %d", label, resp.StatusCode))
	return resp.StatusCode
}

func errorKind(err error) string {
	s := err.Error()
	for _, kind := range []string{"connection reset", "broken pipe", "stream error", "EOF", "timeout"} {
		if strings.Contains(s, kind) {
			return kind
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline"
	}
	return s
}

// filler is an endless stream of one byte.
type filler byte

func (f filler) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f)
	}
	return len(p), nil
}

// oversizedBodies POSTs 16 MiB ConfigMaps to path from 8 workers at once,
// streamed, so the attacker holds none of it in memory. With refused (a
// built-in resource, whose request limit is 3 MiB) none may be stored.
func (e *abuseEnv) oversizedBodies(path string, refused bool) func() func() string {
	return func() func() string {
		client := e.malloryClient()
		var stored atomic.Int32
		received := e.sink.received.Load()
		stop := loop(8, func(ctx context.Context, _ int, o *outcomes) {
			body := io.MultiReader(
				strings.NewReader(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"huge"},"data":{"v":"`),
				io.LimitReader(filler('x'), 16<<20),
				strings.NewReader(`"}}`))
			if code := e.send(ctx, client, o, "", http.MethodPost, path, "application/json", body); code >= 200 && code < 300 {
				stored.Add(1)
			}
		})
		return func() string {
			saw := stop()
			if refused && stored.Load() > 0 {
				e.t.Errorf("%d ConfigMaps of 16 MiB were accepted", stored.Load())
			}
			if !refused {
				saw += fmt.Sprintf("; the backend received %d MiB", (e.sink.received.Load()-received)>>20)
			}
			return saw
		}
	}
}

// nested is a JSON (and YAML flow) array nested depth deep.
func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// nestedBuiltin sends a 10^6-deep document through every decoder a
// built-in resource has: create as JSON and YAML, and each patch type.
// Each must be refused with a 4xx, never stored or answered 5xx.
func (e *abuseEnv) nestedBuiltin() func() func() string {
	deep := nested(1_000_000)
	target := "/api/v1/namespaces/abuse/configmaps/big-0"
	variants := []struct{ label, method, path, contentType, body string }{
		{"create json: ", http.MethodPost, e.listPath, "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"nested"},"x":` + deep + `}`},
		{"create yaml: ", http.MethodPost, e.listPath, "application/yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nested\nx: " + deep + "\n"},
		{"merge patch: ", http.MethodPatch, target, "application/merge-patch+json", `{"x":` + deep + `}`},
		{"strategic patch: ", http.MethodPatch, target, "application/strategic-merge-patch+json", `{"x":` + deep + `}`},
		{"json patch: ", http.MethodPatch, target, "application/json-patch+json", `[{"op":"add","path":"/data/x","value":` + deep + `}]`},
		{"apply: ", http.MethodPatch, target + "?fieldManager=mallory", "application/apply-patch+yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big-0\nx: " + deep + "\n"},
	}
	return func() func() string {
		client := e.malloryClient()
		var mu sync.Mutex
		var bad []string
		stop := loop(len(variants), func(ctx context.Context, w int, o *outcomes) {
			v := variants[w]
			code := e.send(ctx, client, o, v.label, v.method, v.path, v.contentType, strings.NewReader(v.body))
			if code != 0 && (code < 400 || code >= 500) {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%sHTTP %d", v.label, code))
				mu.Unlock()
			}
		})
		return func() string {
			saw := stop()
			if len(bad) > 0 {
				e.t.Errorf("a 10^6-deep document was answered other than 4xx: %s", strings.Join(slices.Compact(slices.Sorted(slices.Values(bad))), ", "))
			}
			return saw
		}
	}
}

// nestedProxied POSTs a 10^6-deep document to the proxied backend: aggkit
// passes bodies through without decoding them.
func (e *abuseEnv) nestedProxied() func() func() string {
	body := `{"apiVersion":"sink.example.com/v1","kind":"Thing","x":` + nested(1_000_000) + `}`
	return func() func() string {
		client := e.malloryClient()
		return loop(4, func(ctx context.Context, _ int, o *outcomes) {
			e.send(ctx, client, o, "", http.MethodPost, e.sinkPath, "application/json", strings.NewReader(body))
		})
	}
}

// malloryClient is an HTTP client with mallory's credentials (HTTP/2, as
// client-go negotiates it).
func (e *abuseEnv) malloryClient() *http.Client {
	return framework.HTTPClient(e.t, e.mallory)
}
