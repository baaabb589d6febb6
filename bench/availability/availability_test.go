// Package availability measures how long a killed backend takes to turn its
// APIService's Available condition False (issue 3: kube-apiserver took 16.6 s
// on this machine; the target is under 2 s), and back to True once it
// returns, with the real sample-apiserver behind aggkit.
// BenchmarkBackendRestarted measures the way back from the moment the
// restarted backend answers /readyz (issue 9: kube-apiserver 0.40-0.57 s
// after 13-30 s outages; the target is under 1 s).
//
//	go test -run '^$' -bench . -benchtime 3x ./bench/availability
//	go test -run '^$' -bench Restarted -benchtime 3x ./bench/availability -outage 2m
package availability

import (
	"context"
	"crypto/tls"
	"flag"
	"net/http"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

func BenchmarkBackendKilled(b *testing.B) {
	s := framework.StartAggregatedSample(b)
	cfg := s.Aggkit.RESTConfig()
	cfg.QPS, cfg.Burst = 1000, 1000 // poll faster than client-go's default 5/s
	client, err := aggregatorclient.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sample := s.Sample
	var down, up []time.Duration
	for range b.N {
		t0 := time.Now()
		sample.Stop()
		waitFor(b, client, apiregistrationv1.ConditionFalse)
		down = append(down, time.Since(t0))

		t0 = time.Now()
		sample = s.Restart()
		waitFor(b, client, apiregistrationv1.ConditionTrue)
		up = append(up, time.Since(t0))
	}
	b.Logf("backend killed -> Available=False: %v (kube-apiserver here: 16.6s; target < 2s)", round(down))
	b.Logf("backend restarted -> Available=True: %v (includes sample-apiserver's own start)", round(up))
}

// waitFor polls every 20 ms so the poll adds little to what is measured.
func waitFor(b *testing.B, client aggregatorclient.Interface, want apiregistrationv1.ConditionStatus) {
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		svc, err := client.ApiregistrationV1().APIServices().Get(ctx, framework.WardleAPIService, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range svc.Status.Conditions {
			if c.Type == apiregistrationv1.Available {
				return c.Status == want, nil
			}
		}
		return false, nil
	})
	if err != nil {
		b.Fatalf("APIService never became Available=%s: %v", want, err)
	}
}

func round(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(10 * time.Millisecond)
	}
	return out
}

var outage = flag.Duration("outage", 15*time.Second, "how long BenchmarkBackendRestarted keeps the backend down (issue 9 measured 13-30 s)")

// kubeRecovery is kube-apiserver 1.37.2's backend-ready -> Available on the
// same sample-apiserver (issue 9), the figure to compare with.
const kubeRecovery = "0.40-0.57s"

// BenchmarkBackendRestarted kills sample-apiserver (SIGKILL), keeps it down
// for -outage, restarts it on the same address, and measures from the first
// 200 of its /readyz (polled every 10 ms) to Available=True and to the first
// proxied list of flunders that succeeds.
func BenchmarkBackendRestarted(b *testing.B) {
	s := framework.StartAggregatedSample(b)
	cfg := s.Aggkit.RESTConfig()
	cfg.QPS, cfg.Burst = 1000, 1000
	client, err := aggregatorclient.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	flunders := dynamic.NewForConfigOrDie(cfg).Resource(schema.GroupVersionResource{
		Group: "wardle.example.com", Version: "v1alpha1", Resource: "flunders"}).Namespace("default")
	sample := s.Sample
	readyz := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sample.CA(b)}}}
	url := sample.URL + "/readyz"

	var available, proxied []time.Duration
	for range b.N {
		sample.Stop()
		waitFor(b, client, apiregistrationv1.ConditionFalse)
		time.Sleep(*outage)

		var readyAt, availableAt, proxiedAt time.Time
		var wg sync.WaitGroup
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		firstTrue := func(at *time.Time, cond func() bool) {
			wg.Go(func() {
				for ctx.Err() == nil && !cond() {
					time.Sleep(10 * time.Millisecond)
				}
				*at = time.Now()
			})
		}
		firstTrue(&readyAt, func() bool {
			resp, err := readyz.Get(url)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		firstTrue(&availableAt, func() bool {
			svc, err := client.ApiregistrationV1().APIServices().Get(ctx, framework.WardleAPIService, metav1.GetOptions{})
			if err != nil {
				return false
			}
			for _, c := range svc.Status.Conditions {
				if c.Type == apiregistrationv1.Available {
					return c.Status == apiregistrationv1.ConditionTrue
				}
			}
			return false
		})
		firstTrue(&proxiedAt, func() bool {
			_, err := flunders.List(ctx, metav1.ListOptions{})
			return err == nil
		})
		sample = s.Restart()
		wg.Wait()
		timedOut := ctx.Err() != nil
		cancel()
		if timedOut {
			b.Fatalf("not recovered within 2 minutes of the restart")
		}
		available = append(available, availableAt.Sub(readyAt))
		proxied = append(proxied, proxiedAt.Sub(readyAt))
	}
	b.ReportMetric(mean(available).Seconds(), "s-ready-to-available")
	b.ReportMetric(mean(proxied).Seconds(), "s-ready-to-proxied")
	b.Logf("after a %v outage, backend /readyz 200 -> Available=True: %v (kube-apiserver: %s; target < 1s)", *outage, round(available), kubeRecovery)
	b.Logf("after a %v outage, backend /readyz 200 -> first proxied success: %v", *outage, round(proxied))
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(max(len(ds), 1))
}
