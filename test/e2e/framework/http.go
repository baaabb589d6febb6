package framework

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ClientFor is a clientset for cfg.
func ClientFor(t testing.TB, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// HTTPClient is a plain HTTP client with cfg's TLS and credentials, for
// requests that client-go would not send as they are.
func HTTPClient(t testing.TB, cfg *rest.Config) *http.Client {
	t.Helper()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// DoStatus sends a request and decodes the metav1.Status it must answer.
func DoStatus(t testing.TB, client *http.Client, method, url, contentType, body string) *metav1.Status {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	status := &metav1.Status{}
	if err := json.Unmarshal(data, status); err != nil || status.Kind != "Status" {
		t.Fatalf("%s %s: HTTP %d with a body that is not a Status: %s", method, url, resp.StatusCode, data)
	}
	if int(status.Code) != resp.StatusCode {
		t.Fatalf("%s %s: HTTP %d but Status code %d", method, url, resp.StatusCode, status.Code)
	}
	return status
}

// Eventually polls cond until it holds or timeout passes, then fails with
// describe's text.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %s", timeout, describe())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
