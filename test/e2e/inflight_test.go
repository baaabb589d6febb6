package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

// holdBackend serves group <namespace>.example.com/v1: discovery, and
// .../things/hold, which it holds open until release is closed (or the
// proxy gives up), keeping count of how many it holds at once.
type holdBackend struct {
	*httptest.Server
	release chan struct{}
	mu      sync.Mutex
	held    int
	maxHeld int
}

func startHoldBackend(t *testing.T, serving *framework.ServingCert, group string) *holdBackend {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(serving.CertFile, serving.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	b := &holdBackend{release: make(chan struct{})}
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/apis/"+group+"/v1":
			_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: group + "/v1",
				APIResources: []metav1.APIResource{{Name: "things", Kind: "Thing", Namespaced: true, Verbs: []string{"get", "list"}}}})
		case strings.HasSuffix(r.URL.Path, "/things/hold"):
			b.mu.Lock()
			b.held++
			b.maxHeld = max(b.maxHeld, b.held)
			b.mu.Unlock()
			select {
			case <-b.release:
			case <-r.Context().Done():
			}
			b.mu.Lock()
			b.held--
			b.mu.Unlock()
			fmt.Fprint(w, `{"kind":"Thing","apiVersion":"`+group+`/v1","metadata":{"name":"hold"}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	b.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	b.EnableHTTP2 = true
	b.StartTLS()
	t.Cleanup(b.Close)
	t.Cleanup(b.Release)
	return b
}

func (b *holdBackend) counts() (held, maxHeld int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held, b.maxHeld
}

// Release lets every held request, and every later one, answer.
func (b *holdBackend) Release() {
	select {
	case <-b.release:
	default:
		close(b.release)
	}
}

// TestOneInFlightBudget: proxied and built-in requests share the seats of
// --max-requests-inflight. With every seat held by proxied requests, a
// built-in read by a user who is not in system:masters gets 429, and no
// more proxied requests reach the backend than the flag allows. (Proxied
// requests used to have a limiter of their own, so the real limit was
// twice the flag.) This is the max-in-flight limiter, so priority and
// fairness is off; with it on, both chains share its one instance
// (fairness_test.go).
func TestOneInFlightBudget(t *testing.T) {
	const limit = 3
	a := framework.StartAggkit(t, "", "--enable-priority-and-fairness=false", fmt.Sprintf("--max-requests-inflight=%d", limit))
	k := framework.NewKubectl(t, a.Kubeconfig)
	serving := framework.NewServingCert(t, "hold", "api")
	backend := startHoldBackend(t, serving, "hold.example.com")
	registerBackend(t, k, serving, backend.URL, "hold")
	// cluster-admin through RBAC: every right, but no exemption from the
	// limit as system:masters has.
	k.MustRun("create", "clusterrolebinding", "alice-admin", "--clusterrole=cluster-admin", "--user=alice")
	cfg, err := clientcmdConfig(a.UserKubeconfig("alice"))
	if err != nil {
		t.Fatal(err)
	}
	alice := framework.HTTPClient(t, cfg)
	hold := cfg.Host + "/apis/hold.example.com/v1/namespaces/default/things/hold"
	builtin := cfg.Host + "/api/v1/namespaces/default"
	get := func(url string) int {
		resp, err := alice.Get(url)
		if err != nil {
			t.Errorf("GET %s: %v", url, err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// Fill every seat with held proxied requests. A loopback controller
	// (system:masters) may hold a seat for a moment, so a request can be
	// refused before the backend holds limit of them: send another.
	var sent, refused atomic.Int32
	var answered sync.WaitGroup
	framework.Eventually(t, time.Minute, func() bool {
		held, _ := backend.counts()
		if held == limit {
			return true
		}
		if int(sent.Load())-int(refused.Load()) <= held {
			sent.Add(1)
			answered.Add(1)
			go func() {
				defer answered.Done()
				if code := get(hold); code == http.StatusTooManyRequests {
					refused.Add(1)
				} else if code != http.StatusOK {
					t.Errorf("held proxied GET: HTTP %d", code)
				}
			}()
		}
		return false
	}, func() string {
		held, _ := backend.counts()
		return fmt.Sprintf("the backend holds %d proxied requests, want %d", held, limit)
	})

	builtinWhileFull := get(builtin)
	proxiedWhileFull := get(hold)
	_, maxHeld := backend.counts()
	backend.Release()
	answered.Wait()
	builtinAfter := get(builtin)

	t.Logf("limit %d: backend held at most %d; %d proxied sent to fill it, %d refused; built-in GET while full: %d, after release: %d",
		limit, maxHeld, sent.Load(), refused.Load(), builtinWhileFull, builtinAfter)
	if maxHeld > limit {
		t.Errorf("the backend held %d proxied requests at once, more than --max-requests-inflight=%d", maxHeld, limit)
	}
	if builtinWhileFull != http.StatusTooManyRequests {
		t.Errorf("built-in GET with every seat held by proxied requests: HTTP %d, want 429 (one budget for both)", builtinWhileFull)
	}
	if proxiedWhileFull != http.StatusTooManyRequests {
		t.Errorf("one more proxied GET with every seat held: HTTP %d, want 429", proxiedWhileFull)
	}
	if builtinAfter != http.StatusOK {
		t.Errorf("built-in GET after the held requests ended: HTTP %d, want 200", builtinAfter)
	}
}
