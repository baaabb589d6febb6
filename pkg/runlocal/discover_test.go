package runlocal

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A server whose discovery prefers the beta it served first still gets its
// GA version ranked first, as Kubernetes ranks them.
func TestServedGroupRanksVersionsAsKubernetes(t *testing.T) {
	gv := func(v string) metav1.GroupVersionForDiscovery {
		return metav1.GroupVersionForDiscovery{GroupVersion: "insurance.example.com/" + v, Version: v}
	}
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apis" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(metav1.APIGroupList{Groups: []metav1.APIGroup{{
			Name:             "insurance.example.com",
			Versions:         []metav1.GroupVersionForDiscovery{gv("v1alpha1"), gv("v1beta1"), gv("v1")},
			PreferredVersion: gv("v1beta1"),
		}}})
	}))
	defer server.Close()
	group, versions, err := servedGroup(context.Background(), server.Client(), server.URL)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"v1", "v1beta1", "v1alpha1"}; group != "insurance.example.com" || !slices.Equal(versions, want) {
		t.Errorf("servedGroup: %s %v, want insurance.example.com %v", group, versions, want)
	}
}
