package resolve

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Before its informers have listed, a resolver must not report an existing
// Service missing (issue 9: a restarting replica answered ServiceNotFound).
func TestWhenSyncedHidesEmptyListers(t *testing.T) {
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	synced := false
	r := WhenSynced(NewClusterIPResolver(corev1listers.NewServiceLister(indexer)), func() bool { return synced })

	if _, err := r.Resolve("ns", "api", 443); !errors.Is(err, ErrNotSynced) {
		t.Fatalf("before sync: %v, want ErrNotSynced", err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "api"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1", Ports: []corev1.ServicePort{{Port: 443}}}}
	if err := indexer.Add(svc); err != nil {
		t.Fatal(err)
	}
	synced = true
	addrs, err := r.Resolve("ns", "api", 443)
	if err != nil || len(addrs) != 1 || addrs[0] != "10.0.0.1:443" {
		t.Fatalf("after sync: %v %v", addrs, err)
	}
	var reason *Error
	if _, err := r.Resolve("ns", "missing", 443); !errors.As(err, &reason) || reason.Reason != ReasonServiceNotFound {
		t.Errorf("a missing Service after sync: %v, want ServiceNotFound", err)
	}
}
