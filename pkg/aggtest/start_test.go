package aggtest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/examples/wardle/server"
	"github.com/aggkit/aggkit/pkg/aggtest"
)

var flunders = schema.GroupVersionResource{Group: server.Group, Version: "v1beta1", Resource: "flunders"}

// wardle's flunders round-trip through the aggregator: created, read back
// in another version, listed; admission runs in the server.
func TestStartServesThroughTheAggregator(t *testing.T) {
	env := aggtest.Start(t, server.New())
	if want := []string{"v1beta1.wardle.example.com", "v1alpha1.wardle.example.com"}; !slices.Equal(env.APIServices, want) {
		t.Errorf("APIServices = %v, want %v", env.APIServices, want)
	}
	ctx := context.Background()
	client := dynamic.NewForConfigOrDie(env.Config)
	fischer := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "wardle.example.com/v1alpha1", "kind": "Fischer",
		"metadata": map[string]any{"name": "bans-harry"}, "disallowedFlunders": []any{"harry"},
	}}
	fischers := schema.GroupVersionResource{Group: server.Group, Version: "v1alpha1", Resource: "fischers"}
	if _, err := client.Resource(fischers).Create(ctx, fischer, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create fischer: %v", err)
	}

	tests := []struct {
		name    string
		flunder string
		allowed bool
	}{
		{name: "an ordinary flunder is created", flunder: "one", allowed: true},
		{name: "wardle's admission refuses a name a fischer disallows", flunder: "harry", allowed: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "wardle.example.com/v1beta1", "kind": "Flunder",
				"metadata": map[string]any{"name": tc.flunder},
			}}
			_, err := client.Resource(flunders).Namespace("default").Create(ctx, obj, metav1.CreateOptions{})
			switch {
			case tc.allowed && err != nil:
				t.Fatalf("create: %v", err)
			case !tc.allowed && !apierrors.IsForbidden(err):
				t.Fatalf("create: got %v, want Forbidden", err)
			}
			alpha := flunders
			alpha.Version = "v1alpha1"
			_, err = client.Resource(alpha).Namespace("default").Get(ctx, tc.flunder, metav1.GetOptions{})
			if tc.allowed != (err == nil) {
				t.Fatalf("get in v1alpha1: %v (created: %v)", err, tc.allowed)
			}
		})
	}
}

// Two environments in one test binary, one after the other: the first
// stops cleanly (its ports are closed) and the second starts all the same.
func TestStartTwiceInOneProcess(t *testing.T) {
	var firstHost string
	t.Run("first", func(t *testing.T) {
		env := aggtest.Start(t, server.New())
		firstHost = env.Config.Host
		countFlunders(t, env.Config, 0)
	})
	if conn, err := net.DialTimeout("tcp", hostPort(t, firstHost), time.Second); err == nil {
		conn.Close()
		t.Errorf("the first control plane still listens at %s after its test ended", firstHost)
	}
	t.Run("second", func(t *testing.T) {
		env := aggtest.Start(t, server.New())
		countFlunders(t, env.Config, 0)
		// The built-in API answers too, through the same config.
		if _, err := kubernetes.NewForConfigOrDie(env.Config).CoreV1().Namespaces().Get(context.Background(), "wardle", metav1.GetOptions{}); err != nil {
			t.Errorf("the server's namespace: %v", err)
		}
	})
}

// Two environments side by side, each with its own control plane and server.
func TestStartSideBySide(t *testing.T) {
	a := aggtest.Start(t, server.New())
	b := aggtest.Start(t, server.New(), aggtest.WithNamespace("wardle-b"))
	if a.Config.Host == b.Config.Host {
		t.Fatalf("both environments at %s", a.Config.Host)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "wardle.example.com/v1beta1", "kind": "Flunder", "metadata": map[string]any{"name": "only-in-a"},
	}}
	if _, err := dynamic.NewForConfigOrDie(a.Config).Resource(flunders).Namespace("default").Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	countFlunders(t, a.Config, 1)
	countFlunders(t, b.Config, 0)
}

func countFlunders(t *testing.T, cfg *rest.Config, want int) {
	t.Helper()
	list, err := dynamic.NewForConfigOrDie(cfg).Resource(flunders).Namespace("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != want {
		t.Errorf("%d flunders, want %d", len(list.Items), want)
	}
}

func hostPort(t *testing.T, host string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, host, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req.URL.Host
}

// The aggregator's first probe of the new server is answered, not refused:
// Start adds the server's Endpoints only once it is ready, and it is ready
// only once it has loaded the requestheader CA it authenticates the
// aggregator with. Before, the log showed a 403 (FailedDiscoveryCheck) first.
func TestFirstProbeIsNotRefused(t *testing.T) {
	rec := &recordingTB{TB: t}
	aggtest.Start(rec, server.New())
	for _, line := range rec.lines() {
		if strings.Contains(line, "FailedDiscoveryCheck") {
			t.Errorf("the aggregator's probe failed before the APIService became Available: %s", line)
		}
	}
}

// recordingTB keeps what is logged to it, and logs it to the test too.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	logged []string
}

func (r *recordingTB) Log(args ...any) {
	r.mu.Lock()
	r.logged = append(r.logged, fmt.Sprint(args...))
	r.mu.Unlock()
	r.TB.Log(args...)
}

func (r *recordingTB) Logf(format string, args ...any) { r.Log(fmt.Sprintf(format, args...)) }

func (r *recordingTB) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logged...)
}

// klogLine matches a klog header: severity, date, time, pid, file:line].
var klogLine = regexp.MustCompile(`[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [^ ]+:\d+\]`)

// The servers' klog lines go to the test's log: a passing test prints none
// of them, and -v shows them. Runs this binary again on a passing test.
func TestQuietByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two environments in child processes")
	}
	for _, verbose := range []bool{false, true} {
		args := []string{"-test.run=^TestFirstProbeIsNotRefused$", "-test.count=1", "-test.v=" + strconv.FormatBool(verbose)}
		out, err := exec.Command(os.Args[0], args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		lines := len(klogLine.FindAll(out, -1))
		switch {
		case !verbose && lines > 0:
			t.Errorf("without -v a passing test printed %d klog lines:\n%s", lines, out)
		case verbose && lines == 0:
			t.Errorf("with -v the test's log holds no klog line:\n%s", out)
		}
	}
}
