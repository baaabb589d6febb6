package controlplane

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// TestDefaultServiceAccounts checks the controller on a real server: a new
// namespace gets its default service account, and a deleted one comes back.
func TestDefaultServiceAccounts(t *testing.T) {
	ts := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "sa-controller"}}
	if _, err := ts.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	accounts := ts.client.CoreV1().ServiceAccounts(ns.Name)
	waitForDefault := func(what string) {
		err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			_, err := accounts.Get(ctx, defaultServiceAccountName, metav1.GetOptions{})
			return err == nil, nil
		})
		if err != nil {
			t.Fatalf("no default service account %s: %v", what, err)
		}
	}
	waitForDefault("in a new namespace")
	if err := accounts.Delete(ctx, defaultServiceAccountName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForDefault("after it was deleted")
}
