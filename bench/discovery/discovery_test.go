// Package discovery measures aggkit's discovery documents with 100 remote
// APIServices (issue 3's "discovery" scenario): legacy /apis, aggregated
// discovery v2, and the 304 a client with a current ETag gets, each as a
// ratio to GET /version on the same server in the same run.
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/discovery
package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

const remoteGroups = 100

func BenchmarkDiscovery(b *testing.B) {
	a := framework.StartAggkit(b, "")
	cfg := a.RESTConfig()
	serving := framework.NewServingCert(b, "bench", "fake")
	groups := make([]string, remoteGroups)
	for i := range groups {
		groups[i] = fmt.Sprintf("g%03d.bench.example.com", i)
	}
	backend := startFakeBackend(b, serving, groups)
	registered := time.Now()
	register(b, a, backend, serving.CA.CertPEM())
	b.Logf("creating %d APIServices: %s", remoteGroups, time.Since(registered).Round(time.Millisecond))

	waitAvailable(b, a)
	b.Logf("creating %d APIServices until all are Available: %s", remoteGroups, time.Since(registered).Round(time.Millisecond))
	client := framework.HTTPClient(b, cfg)
	base := cfg.Host
	waitForGroups(b, client, base, len(groups))
	b.Logf("creating %d APIServices until aggregated discovery lists them all: %s", remoteGroups, time.Since(registered).Round(time.Millisecond))

	etag := fetch(b, client, base+"/apis", aggregatedV2, "", http.StatusOK).Get("Etag")
	if etag == "" {
		b.Fatal("aggregated discovery answered without an ETag")
	}
	cases := []struct {
		name, path, accept, ifNoneMatch string
		want                            int
	}{
		{"/version (baseline)", "/version", "application/json", "", http.StatusOK},
		{"/apis legacy", "/apis", "application/json", "", http.StatusOK},
		{"/apis aggregated v2", "/apis", aggregatedV2, "", http.StatusOK},
		{"/apis aggregated v2, 304", "/apis", aggregatedV2, etag, http.StatusNotModified},
		{"/apis/<remote group>/v1", "/apis/" + groups[0] + "/v1", "application/json", "", http.StatusOK},
	}
	for range b.N {
		var baseline time.Duration
		b.Logf("%d remote APIServices (one backend Service), c=1, 3 s each", remoteGroups)
		b.Logf("%-28s %10s %10s %9s", "request", "p50", "p99", "p50/base")
		for _, c := range cases {
			p50, p99 := measure(b, client, base+c.path, c.accept, c.ifNoneMatch, c.want, 3*time.Second)
			if baseline == 0 {
				baseline = p50
			}
			b.Logf("%-28s %10s %10s %8.2fx", c.name, p50.Round(time.Microsecond), p99.Round(time.Microsecond), float64(p50)/float64(baseline))
		}
	}
}

// register makes one Service in front of the fake backend and an APIService
// per group, as a user registering many extension APIs would.
func register(b *testing.B, a *framework.Aggkit, backend *fakeBackend, caBundle []byte) {
	ctx := context.Background()
	kube := a.Client()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "fake", Namespace: "bench"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(int32(backend.port))}}}}
	if _, err := kube.CoreV1().Services("bench").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	eps := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "fake", Namespace: "bench"},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "127.0.0.1"}},
			Ports: []corev1.EndpointPort{{Name: "https", Port: int32(backend.port)}}}}}
	if _, err := kube.CoreV1().Endpoints("bench").Create(ctx, eps, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	cfg := a.RESTConfig()
	cfg.QPS, cfg.Burst = 1000, 1000 // client-go's default 5/s would be the figure measured
	agg, err := aggregatorclient.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	port := int32(443)
	for _, g := range backend.groups {
		svc := &apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: benchVersion + "." + g},
			Spec: apiregistrationv1.APIServiceSpec{Group: g, Version: benchVersion,
				Service:  &apiregistrationv1.ServiceReference{Namespace: "bench", Name: "fake", Port: &port},
				CABundle: caBundle, GroupPriorityMinimum: 1000, VersionPriority: 15}}
		if _, err := agg.ApiregistrationV1().APIServices().Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func waitAvailable(b *testing.B, a *framework.Aggkit) {
	agg, err := aggregatorclient.NewForConfig(a.RESTConfig())
	if err != nil {
		b.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := agg.ApiregistrationV1().APIServices().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		available := 0
		for _, s := range list.Items {
			for _, c := range s.Status.Conditions {
				if s.Spec.Service != nil && c.Type == apiregistrationv1.Available && c.Status == apiregistrationv1.ConditionTrue {
					available++
				}
			}
		}
		return available == remoteGroups, nil
	})
	if err != nil {
		b.Fatalf("not all %d APIServices became Available: %v", remoteGroups, err)
	}
}

// waitForGroups waits until aggregated discovery lists every remote group.
func waitForGroups(b *testing.B, client *http.Client, base string, remote int) {
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		resp, err := get(client, base+"/apis", aggregatedV2, "")
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		var list struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
				Versions []struct{ Freshness string }
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			return false, nil
		}
		current := 0
		for _, g := range list.Items {
			if len(g.Versions) > 0 && g.Versions[0].Freshness != "Stale" && strings.HasSuffix(g.Metadata.Name, ".bench.example.com") {
				current++
			}
		}
		return current == remote, nil
	})
	if err != nil {
		b.Fatalf("aggregated discovery never listed all %d remote groups: %v", remote, err)
	}
}

func get(client *http.Client, url, accept, ifNoneMatch string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	return client.Do(req)
}

func fetch(b *testing.B, client *http.Client, url, accept, ifNoneMatch string, want int) http.Header {
	resp, err := get(client, url, accept, ifNoneMatch)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != want {
		b.Fatalf("GET %s (Accept %s): HTTP %d, want %d", url, accept, resp.StatusCode, want)
	}
	return resp.Header
}

// measure sends requests one after another for d and returns p50 and p99.
func measure(b *testing.B, client *http.Client, url, accept, ifNoneMatch string, want int, d time.Duration) (p50, p99 time.Duration) {
	fetch(b, client, url, accept, ifNoneMatch, want) // warm up
	var lat []time.Duration
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		t0 := time.Now()
		fetch(b, client, url, accept, ifNoneMatch, want)
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2], lat[len(lat)*99/100]
}
